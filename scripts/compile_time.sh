#!/usr/bin/env bash
# Compile time of nested dual numbers: times
# `cargo build --release -p nilpotent-dev --example compile_time` (third derivatives of two 8-arm
# functions, a Hessian-vector product and a reverse-mode Hessian over a 29-arm `match`, see
# dev/examples/compile_time.rs; the probes are examples of the workspace member dev/, package
# nilpotent-dev, not user examples).
#
#   scripts/compile_time.sh [RUNS] [CAP_CPU_SECONDS] [EXAMPLE]
#
# EXAMPLE is compile_time (the default), or one of nalgebra's decompositions on dual numbers:
# nalgebra_decompositions (try_inverse, LU, QR, Cholesky, SVD and symmetric eigen on `Dual<f64, 8>`;
# the build CI runs, which rustc 1.95 crashed on) or nalgebra_compile_time (the same with 1, 4, 8
# and 16 lanes, nested forward mode and `reverse::hessian` through `try_inverse`: minutes) or
# nalgebra_reverse_hessian (only `reverse::hessian` through `try_inverse`, on `Var<Dual<f64, 8>>`).
#
# First builds everything the example depends on (the crate, the package's dependencies and its
# build script, through the small `loops_graph` example of the same package), then RUNS times
# (default 1): touches dev/examples/EXAMPLE.rs (default compile_time), so that only the example
# recompiles, and builds it with every process's CPU time capped at CAP_CPU_SECONDS (default
# 1200, `ulimit -t`) and the wall time at 4 × CAP. Prints per run the wall time, the CPU time
# (user + sys of cargo, rustc and the linker), rustc's peak memory and how the build ended: ok,
# "capped: > CAP s CPU", or the failure, e.g. a rustc crash with its signal.
#
# Compare CPU times rather than wall times. The example is one crate compiled by one rustc
# process, so on an idle machine CPU ≈ wall; on a machine shared with other builds the wall time
# grows with the load, the CPU time much less (here, 2 cores with 3–5 other compiler processes:
# the same build took 4.5–8.2 s of CPU against 6–23 s of wall; caches, SMT and clock frequency
# still move the CPU time). So measure two versions in alternation, several runs each.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1}
cap=${2:-1200}
example=${3:-compile_time}

cargo build -q --release -p nilpotent-dev --example loops_graph || exit 1

for run in $(seq 1 "$runs"); do
  touch "dev/examples/$example.rs"
  log=$(mktemp)
  # %e wall, %U user, %S sys of cargo and every child it waited for (rustc, the linker; a rustc
  # killed at the cap is still waited for by cargo, so its CPU time counts), %M peak resident set
  # of the largest of them (rustc). The hard CPU limit is 10 s above the soft one: the kernel sends
  # SIGXCPU at the soft limit and SIGKILL at the hard one (only SIGKILL if both are equal).
  /usr/bin/time -o "$log.time" -f '%e %U %S %M' bash -c '
    ulimit -S -t "$1" && ulimit -H -t "$(($1 + 10))" || exit 1
    exec timeout --kill-after=10 "$(($1 * 4))" cargo build -q --release -p nilpotent-dev --example "$2"
  ' _ "$cap" "$example" >"$log" 2>&1
  status=$?
  # /usr/bin/time writes "Command exited with non-zero status N" first when the status is not 0
  read -r wall user sys rss < <(tail -n 1 "$log.time")
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
  if [ "$status" -eq 0 ]; then
    outcome=ok
  elif grep -qE 'signal: (24|9)\b|SIGXCPU|SIGKILL' "$log" && awk -v c="$cpu" -v m="$cap" 'BEGIN { exit !(c >= 0.95 * m) }'; then
    outcome="capped: > $cap s CPU (rustc stopped by the CPU limit)"
  elif [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    outcome="capped: > $((cap * 4)) s wall"
  else
    outcome="failed (exit $status)"
    signal=$(grep -m1 -oE 'signal: [0-9]+(, SIG[A-Z]+[^)]*)?' "$log")
    [ -n "$signal" ] && outcome="rustc crashed ($signal)"
  fi
  printf 'run %d: wall %6.1f s   cpu %6.1f s (user %s + sys %s)   peak rss %d MB   %s\n' \
    "$run" "$wall" "$cpu" "$user" "$sys" $((rss / 1024)) "$outcome"
  case $outcome in
    ok | capped*) ;;
    *) tail -n 20 "$log" ;;
  esac
  rm -f "$log" "$log.time"
done
