#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""report-section.py REPORT BEGIN END SECTION: puts SECTION between the marker lines BEGIN and
END of the Markdown file REPORT (reports/fuzz.md), replacing what they held, or appends the
marked block when REPORT has none. Shared by throughput.sh, campaign.sh and afl-campaign.sh."""
import re
import sys

path, begin, end, section = sys.argv[1:5]
text = open(path).read()
block = f"{begin}\n{section}\n{end}\n"
if begin in text:
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end) + "\n?", lambda m: block, text, flags=re.S)
else:
    text = text.rstrip("\n") + "\n\n" + block
open(path, "w").write(text.lstrip("\n"))
