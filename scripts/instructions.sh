#!/usr/bin/env bash
# Instructions per call of one case of dev/examples/profile.rs (package nilpotent-dev), counted
# by callgrind.
#
#   scripts/instructions.sh CASE [REPS]
#
# Runs the case REPS and 3·REPS times (default REPS: 10 for the recurrence, 20 for recording a
# graph, compiling one and the logistic cases, 200 for the 1024-input, Jacobian, Hessian and hvp
# cases, 20000 otherwise) and prints (count(3·REPS) − count(REPS)) / (2·REPS), which removes the
# start-up cost of the process. Needs valgrind. Built with `--features jit`, for the `*_jit` cases.
# With PROFILE_BIN set, counts that binary (e.g. a copy of an earlier build) instead of building
# the current one.
set -euo pipefail
case_name=${1:?usage: scripts/instructions.sh CASE [REPS] (cases: target/release/examples/profile --list)}
case $case_name in
  recurrence_*) default=10 ;;
  rosenbrock1024_* | jacobian32_* | hessian8_* | hvp16_forward | hessian32_*) default=200 ;;
  record1024_graph | gradient1024_graph | compile1024_jit | logistic_*) default=20 ;;
  *) default=20000 ;;
esac
reps=${2:-$default}
if [ -n "${PROFILE_BIN:-}" ]; then
  bin=$PROFILE_BIN # a binary built earlier (to compare two versions of the crate)
else
  cargo build -q --release -p nilpotent-dev --features jit --example profile
  bin=target/release/examples/profile
fi
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$case_name" "$1" 2>&1 |
    awk '/Collected/ {print $4}'
}
a=$(count "$reps")
b=$(count $((3 * reps)))
echo "$case_name: $(((b - a) / (2 * reps))) instructions per call"
