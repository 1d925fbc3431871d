# tmux.sh - a private tmux server for the terminal tests, sourced by them.
# The server runs on a socket in the caller's temporary directory without
# any user configuration; what it runs is stopped by process id.
#
#   tm ARGS...        tmux on $SOCK (set SOCK before sourcing)
#   TPIDS             process ids to stop: the caller adds the server's
#                     (tmux_track) and any pane's it wants checked
#   tmux_track [PANE] record the server's process id (and PANE's process)
#   tmux_stop         kill-server, then each recorded process by id if it
#                     is still there after 5 s
#   tmux_left         the recorded processes still running (none: empty)

TPIDS=()
tm() { tmux -f /dev/null -S "$SOCK" "$@"; }

tmux_track() {
    local srv
    srv=$(tm display-message -p '#{pid}') || return 1
    [[ " ${TPIDS[*]} " == *" $srv "* ]] || TPIDS+=("$srv")
    [ -z "${1:-}" ] || TPIDS+=("$(tm display-message -p -t "$1" '#{pane_pid}')")
}

tmux_stop() {
    local p i
    tm kill-server 2>/dev/null || true
    for p in "${TPIDS[@]}"; do
        for i in $(seq 1 50); do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$p" 2>/dev/null || true
    done
}

tmux_left() {
    local p
    for p in "${TPIDS[@]}"; do
        kill -0 "$p" 2>/dev/null && echo "$p"
    done
    return 0
}
