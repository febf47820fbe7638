# Helpers the benchmark scripts share.
#
# `measure NAME COMMAND...` runs COMMAND $BENCH_RUNS times (3 unless set) under GNU time and prints one line:
# the median wall seconds, the largest peak resident memory in MiB, the spread of the runs, and the name.
# One run on a shared two-core machine can be off by a third; the median of three is what the comparisons use.
measure() {
    local name=$1
    shift
    local runs=${BENCH_RUNS:-3}
    local log walls=() peak=0
    log=$(mktemp)
    for _ in $(seq 1 "$runs"); do
        /usr/bin/time -f '%e %M' -o "$log" "$@" >/dev/null 2>"$log.err" || {
            echo "  $name: failed (exit $?): $(tail -n 3 "$log.err")"
            rm -f "$log" "$log.err"
            return 0
        }
        read -r seconds kilobytes <"$log"
        walls+=("$seconds")
        [ "$kilobytes" -gt "$peak" ] && peak=$kilobytes
    done
    rm -f "$log" "$log.err"
    local sorted
    sorted=$(printf '%s\n' "${walls[@]}" | sort -n)
    local median low high
    median=$(echo "$sorted" | sed -n "$(((runs + 1) / 2))p")
    low=$(echo "$sorted" | head -n 1)
    high=$(echo "$sorted" | tail -n 1)
    printf '  %-44s %8.2f s %8.1f MiB peak   (median of %d: %s-%s s)\n' "$name" "$median" \
        "$(echo "$peak / 1024" | bc -l)" "$runs" "$low" "$high"
}
