# SPDX-License-Identifier: Apache-2.0
# cmake/toolchain-s390x.cmake - cross build for s390x (64-bit big-endian), run under qemu-user.
# Used by scripts/be-check.sh (`make be-check`), which first builds the sysroot with s390x
# cmocka, libuuid and libcrypto from Debian's archive (apt-get download + dpkg-deb -x, no dpkg
# state touched) and passes it as VHDX_BE_SYSROOT (cache variable or environment).
#
#   cmake -S . -B build-be -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-s390x.cmake \
#         -DVHDX_BE_SYSROOT=$PWD/build-be/sysroot
#   ctest --test-dir build-be      # every test binary runs through qemu-s390x
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR s390x)
set(VHDX_CROSS_TRIPLE s390x-linux-gnu)
set(CMAKE_C_COMPILER ${VHDX_CROSS_TRIPLE}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${VHDX_CROSS_TRIPLE})

if(NOT VHDX_BE_SYSROOT AND DEFINED ENV{VHDX_BE_SYSROOT})
  set(VHDX_BE_SYSROOT "$ENV{VHDX_BE_SYSROOT}")
endif()
set(VHDX_BE_SYSROOT "${VHDX_BE_SYSROOT}" CACHE PATH "s390x sysroot with cmocka, libuuid, libcrypto")
# try_compile projects re-read this file: hand them the sysroot too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES VHDX_BE_SYSROOT)

set(CMAKE_FIND_ROOT_PATH /usr/${VHDX_CROSS_TRIPLE} ${VHDX_BE_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

if(VHDX_BE_SYSROOT)
  # Multiarch headers (openssl/configuration.h) live under include/<triple>; the cross gcc only
  # searches its own /usr/<triple>/include.
  set(CMAKE_C_FLAGS_INIT "-isystem ${VHDX_BE_SYSROOT}/usr/include/${VHDX_CROSS_TRIPLE}")
  set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${VHDX_BE_SYSROOT}/usr/lib/${VHDX_CROSS_TRIPLE}")
  set(CMAKE_SHARED_LINKER_FLAGS_INIT "-Wl,-rpath-link,${VHDX_BE_SYSROOT}/usr/lib/${VHDX_CROSS_TRIPLE}")
  set(VHDX_BE_LD_PATH "${VHDX_BE_SYSROOT}/usr/lib/${VHDX_CROSS_TRIPLE}")
else()
  set(VHDX_BE_LD_PATH "/usr/${VHDX_CROSS_TRIPLE}/lib")
endif()

# No binfmt_misc on these machines: ctest runs each test executable through the emulator.
# -L: the guest's dynamic loader and libc; -E: the sysroot's libcmocka/libuuid/libcrypto.
set(CMAKE_CROSSCOMPILING_EMULATOR
    "qemu-s390x;-L;/usr/${VHDX_CROSS_TRIPLE};-E;LD_LIBRARY_PATH=${VHDX_BE_LD_PATH}")
