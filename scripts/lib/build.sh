# Sourced by scripts/run.sh and scripts/cluster.sh (after scripts/lib/quiet.sh):
# what both need before they start anything.
#
#   install_and_build   installs what is missing (.ci/install-deps) and builds the
#                       daemons in build-run/ (Release, no tests; log
#                       build-logs/run-build.log).

install_and_build() {
  bash .ci/install-deps
  local t0=$SECONDS
  printf 'building Uwitter (Release; log build-logs/run-build.log) ... '
  quietly build-logs/run-build.log bash -c \
    "cmake -S . -B build-run -G Ninja -DCMAKE_BUILD_TYPE=Release -DUWITTER_TESTS=OFF -DUWITTER_BENCH=OFF &&
     cmake --build build-run -j$(nproc)"
  echo "done ($(elapsed "$t0"))"
}
