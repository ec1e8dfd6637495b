#!/usr/bin/env bash
# Checks that a package of one's own can use the runtime, as a user's would:
#   1. makes a fresh package in a temporary directory, depending on this repository by absolute path and on
#      the `Dataflow` product alone, with its OWN targets named `Worker` and `Monitoring` (module names are
#      global in a SwiftPM build, so this fails if ours collide); its executable imports Dataflow, Worker and
#      Monitoring, runs a dozen tasks on 2 local worker processes and checks the results;
#   2. builds Examples/MonteCarlo and runs it on worker processes with the LocalProvider and with its own
#      provider (--provider custom), checks exit status, output and that both give the same numbers, runs it
#      again to see the checkpoint answer every batch, and prints its worker pod manifest.
# Both packages build in one scratch directory (swift-nio and the runtime are compiled once), kept in
# .build-consumer/ between runs so a re-run only compiles what changed.
# Options: --fresh (build in a temporary scratch directory, removed afterwards).
# Environment: CHECK_CONSUMER_SCRATCH (the scratch directory, default .build-consumer).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export PATH="/opt/swift/usr/bin:$PATH"

work=$(mktemp -d "${TMPDIR:-/tmp}/check-consumer.XXXXXX")
# SwiftPM also leaves lock files named after the scratch directory in the temporary directory.
trap 'rm -rf "$work" "${TMPDIR:-/tmp}/$(tr / _ <<<"$work")"_*.lock' EXIT
scratch=${CHECK_CONSUMER_SCRATCH:-$repo/.build-consumer}
while (($#)); do
    case $1 in
        --fresh) scratch=$work/scratch ;;
        -h | --help) sed -n '2,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

now() { date +%s%N; }
since() { local d=$((($(now) - $1) / 100000000)); echo "$((d / 10)).$((d % 10))s"; }
die() { echo "check-consumer: FAIL: $*" >&2; exit 1; }
step() { echo; echo "== $*"; }
# build DIR LOG: swift build in DIR, in the shared scratch directory; the log is shown only on failure.
build() {
    local start; start=$(now)
    if ! (cd "$1" && swift build --scratch-path "$scratch" >"$2" 2>&1); then
        tail -n 60 "$2" >&2
        die "swift build failed in $1 (log above)"
    fi
    grep -E "warning:" "$2" | grep -v "^$scratch/checkouts" | sed 's/^/  /' || true
    echo "built in $(since "$start")"
}
# expect LOG TEXT: the output contains TEXT.
expect() { grep -qF -- "$2" "$1" || { sed 's/^/  | /' "$1" >&2; die "expected '$2' in the output above"; }; }
total=$(now)

# ---- 1. A fresh package of one's own
step "consumer package in $work/consumer (depends on $repo by path, product Dataflow only)"
pkg=$work/consumer
mkdir -p "$pkg/Sources/Worker" "$pkg/Sources/Monitoring" "$pkg/Sources/consumer"
cat >"$pkg/Package.swift" <<EOF
// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "consumer",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "viz-workflow", path: "$repo")],
    targets: [
        // Targets with the names a workflow author picks first: the runtime's modules must not take them.
        .target(name: "Worker"),
        .target(name: "Monitoring"),
        .executableTarget(name: "consumer", dependencies: ["Worker", "Monitoring", .product(name: "Dataflow", package: "viz-workflow")]),
    ]
)
EOF
cat >"$pkg/Sources/Worker/Worker.swift" <<'EOF'
/// The consumer's own Worker module.
public enum Arithmetic {
    public static func cube(_ n: Int) -> Int { n * n * n }
}
EOF
cat >"$pkg/Sources/Monitoring/Monitoring.swift" <<'EOF'
/// The consumer's own Monitoring module.
public enum Report {
    public static func line(_ text: String) { print("consumer: \(text)") }
}
EOF
cat >"$pkg/Sources/consumer/main.swift" <<'EOF'
import Dataflow
import Foundation
import Monitoring
import Worker

struct OddInput: Error, Codable, Sendable, Equatable { var value: Int }

var builder = AppRegistry.Builder()
builder.register(error: OddInput.self)
// Module-qualified on purpose: `Worker.` and `Monitoring.` must name the consumer's modules.
let cube = builder.register("cube", options: AppOptions(cacheable: true)) { (n: Int) in Worker.Arithmetic.cube(n) }
let total = builder.register("total") { (xs: [Int]) in xs.reduce(0, +) }
let pid = builder.register("pid") { (pause: Int) async throws -> Int32 in
    try await Task.sleep(for: .milliseconds(pause))
    return getpid()
}
let even = builder.register("require_even") { (n: Int) throws -> Int in
    guard n % 2 == 0 else { throw OddInput(value: n) }
    return n
}
let registry = try builder.build()

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "worker" {
    exit(await WorkerService.run(arguments: Array(arguments.dropFirst()), commandPrefix: ["worker"], apps: registry))
}

let executor = HighThroughputExecutor(
    configuration: .init(maxWorkersPerNode: 2),
    provider: LocalProvider(configuration: .init(initBlocks: 1, maxBlocks: 1, logDirectory: "runinfo/local"))
)
let kernel = try await DataFlowKernel(configuration: .init(executors: [executor], runDirectory: "runinfo"), apps: registry)
let cubes = (1...12).map { kernel.submit(cube, $0) }
let sum = try await kernel.submit(total, gathering: cubes).value
// Both worker processes join (a slow machine may take a while to start them), then each gets tasks.
let deadline = ContinuousClock.now + .seconds(120)
while executor.connectedWorkers < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
let pidFutures = (0..<4).map { _ in kernel.submit(pid, 300) }
var pids: Set<Int32> = []
for future in pidFutures { pids.insert(try await future.value) }
var odd: OddInput?
do {
    _ = try await kernel.submit(even, 3).value
} catch let error as TaskError {
    odd = error.underlying as? OddInput
}
await kernel.shutdown()

var failures: [String] = []
if sum != 6084 { failures.append("sum of cubes 1...12 is \(sum), not 6084") }
if pids.contains(getpid()) || pids.count != 2 { failures.append("tasks ran in processes \(pids.sorted()), not on 2 workers (leader \(getpid()))") }
if odd != OddInput(value: 3) { failures.append("the worker's OddInput did not arrive as itself: \(String(describing: odd))") }
Monitoring.Report.line("sum of cubes 1...12 = \(sum) (12 tasks), on worker processes \(pids.sorted()); OddInput(3) came back as \(odd.map { "\($0)" } ?? "nothing")")
if failures.isEmpty {
    Monitoring.Report.line("OK")
} else {
    for failure in failures { Monitoring.Report.line("FAILED: \(failure)") }
    exit(1)
}
EOF
build "$pkg" "$work/consumer-build.log"
start=$(now)
(cd "$pkg" && timeout 300 "$scratch/debug/consumer") >"$work/consumer.out" 2>&1 || { rc=$?; sed 's/^/  | /' "$work/consumer.out" >&2; die "consumer exited with status $rc"; }
expect "$work/consumer.out" "consumer: OK"
grep -F "consumer:" "$work/consumer.out" | sed 's/^/  /'
echo "ran in $(since "$start")"

# ---- 2. Examples/MonteCarlo
step "Examples/MonteCarlo (same scratch directory)"
build "$repo/Examples/MonteCarlo" "$work/monte-carlo-build.log"
mc=$scratch/debug/monte-carlo
# run NAME ARGS...: monte-carlo run in $work, output in $work/NAME.out, fails on a non-zero exit or without OK.
run() {
    local name=$1 start; start=$(now); shift
    (cd "$work" && timeout 300 "$mc" run "$@") >"$work/$name.out" 2>"$work/$name.err" \
        || { rc=$?; cat "$work/$name.out" "$work/$name.err" | sed 's/^/  | /' >&2; die "monte-carlo run $* exited with status $rc"; }
    expect "$work/$name.out" "monte-carlo: OK"
    sed 's/^/  /' "$work/$name.out"
    echo "ran in $(since "$start")"
}
echo "-- monte-carlo run --workers 2 (LocalProvider)"
run local --workers 2 --run-dir "$work/runinfo-local"
expect "$work/local.out" "with provider local, 2 workers per node"
expect "$work/local.out" "caught as SlabError"
expect "$work/local.out" "workers: "

cpu=$(($(nproc) - 1))
echo "-- monte-carlo run --workers 2 --provider custom --cpus $cpu (PinnedProvider, the example's own)"
run custom --workers 2 --provider custom --cpus "$cpu" --run-dir "$work/runinfo-custom"
expect "$work/custom.out" "with provider pinned, 2 workers per node"
expect "$work/custom.out" "on CPUs $cpu;"
# Same seed, same numbers, whichever provider ran the batches.
diff <(sed -n '/^result:/,/uncollided/p' "$work/local.out") <(sed -n '/^result:/,/uncollided/p' "$work/custom.out") >&2 \
    || die "the local and custom runs gave different results for the same seed"
echo "same results from both providers"

echo "-- monte-carlo run --workers 2 again in the first run directory: every batch from the checkpoint"
run again --workers 2 --run-dir "$work/runinfo-local"
expect "$work/again.out" "17 from checkpoints"
diff <(sed -n '/^result:/,/uncollided/p' "$work/local.out") <(sed -n '/^result:/,/uncollided/p' "$work/again.out") >&2 \
    || die "the checkpointed run gave different results"

echo "-- monte-carlo pod-manifest --config Examples/MonteCarlo/parsl_config.json"
"$mc" pod-manifest --config "$repo/Examples/MonteCarlo/parsl_config.json" >"$work/pod.json" || die "pod-manifest exited with status $? (see above)"
expect "$work/pod.json" '"kind" : "Pod"'
expect "$work/pod.json" '"/usr/local/bin/monte-carlo"'
expect "$work/pod.json" '"secretKeyRef"'
echo "  a pod of $(grep -c . "$work/pod.json") lines: $(grep -o '"image" : "[^"]*"' "$work/pod.json")"

echo
echo "check-consumer: OK in $(since "$total")"
