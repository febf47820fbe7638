# Helpers the benchmark scripts share. `measure NAME COMMAND...` runs COMMAND once under GNU time and
# prints one line: wall seconds, peak resident memory in MiB, and the name.
measure() {
    local name=$1
    shift
    local log
    log=$(mktemp)
    /usr/bin/time -f '%e %M' -o "$log" "$@" >/dev/null 2>"$log.err" || {
        echo "  $name: failed (exit $?): $(tail -n 3 "$log.err")"
        rm -f "$log" "$log.err"
        return 0
    }
    read -r seconds kilobytes <"$log"
    printf '  %-44s %8.2f s %8.1f MiB peak\n' "$name" "$seconds" "$(echo "$kilobytes / 1024" | bc -l)"
    rm -f "$log" "$log.err"
}
