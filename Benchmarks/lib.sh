# Helpers the benchmark scripts share.
#
# `measure NAME COMMAND...` runs COMMAND $BENCH_RUNS times (3 unless set) under GNU time and prints one line:
# the median wall seconds, the largest peak resident memory in MiB, the spread of the runs, and the name.
# One run on a shared two-core machine can be off by a third; the median of three is what the comparisons use.
#
# Tools compared with each other are better measured in rounds, so that a machine slowing down or speeding
# up during the run weighs on all of them alike: `sample KEY COMMAND...` runs COMMAND once and keeps its
# figures under KEY; `report KEY NAME` prints the line for all the samples of KEY.
BENCH_SAMPLES=${BENCH_SAMPLES:-$(mktemp -d)}

sample() {
    local key=$1
    shift
    local log
    log=$(mktemp)
    if ! /usr/bin/time -f '%e %M' -o "$log" "$@" >/dev/null 2>"$log.err"; then
        echo "failed: $(tail -n 3 "$log.err" | tr '\n' ' ')" >>"$BENCH_SAMPLES/$key"
    else
        cat "$log" >>"$BENCH_SAMPLES/$key"
    fi
    rm -f "$log" "$log.err"
}

report() {
    local key=$1 name=$2
    local file="$BENCH_SAMPLES/$key"
    if grep -q '^failed' "$file"; then
        echo "  $name: $(grep -m1 '^failed' "$file")"
        return 0
    fi
    local runs median low high peak
    runs=$(wc -l <"$file")
    median=$(cut -d' ' -f1 "$file" | sort -n | sed -n "$(((runs + 1) / 2))p")
    low=$(cut -d' ' -f1 "$file" | sort -n | head -n 1)
    high=$(cut -d' ' -f1 "$file" | sort -n | tail -n 1)
    peak=$(cut -d' ' -f2 "$file" | sort -n | tail -n 1)
    printf '  %-44s %8.2f s %8.1f MiB peak   (median of %d: %s-%s s)\n' "$name" "$median" \
        "$(echo "$peak / 1024" | bc -l)" "$runs" "$low" "$high"
}

measure() {
    local name=$1
    shift
    local key
    key=$(echo "$name" | md5sum | cut -c1-12)
    rm -f "$BENCH_SAMPLES/$key"
    for _ in $(seq 1 "${BENCH_RUNS:-3}"); do sample "$key" "$@"; done
    report "$key" "$name"
}

# `ratio KEY OTHER NAME TARGET`: KEY's wall time over OTHER's, round by round (the two were sampled in the
# same rounds, so each ratio sees one state of the machine), and the median of those ratios beside TARGET.
ratio() {
    local key=$1 other=$2 name=$3 target=$4
    if grep -q '^failed' "$BENCH_SAMPLES/$key" "$BENCH_SAMPLES/$other"; then return 0; fi
    local ratios
    ratios=$(paste -d' ' <(cut -d' ' -f1 "$BENCH_SAMPLES/$key") <(cut -d' ' -f1 "$BENCH_SAMPLES/$other") |
        awk '$2 > 0 {printf "%.2f\n", $1 / $2}')
    printf '  %-44s %8s      (rounds: %s; target %s)\n' "$name" \
        "$(echo "$ratios" | sort -n | sed -n "$((($(echo "$ratios" | wc -l) + 1) / 2))p")" \
        "$(echo "$ratios" | tr '\n' ' ' | sed 's/ $//')" "$target"
}
