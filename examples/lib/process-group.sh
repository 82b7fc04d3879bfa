# Sourced by the example scripts: everything a script starts (servers, helpers, the sleeps holding node's stdin open)
# ends with it. Otherwise a leftover keeps the caller's output pipes open, and keeps running for as long as it sleeps.
# The script's processes share its process group, and the exit trap ends the members. Started by a program rather
# than a shell, the script is not a group leader, so it first re-runs itself as one.
#   source "$repo/examples/lib/process-group.sh"; own_process_group "$@"
# CLEANUP_PATHS (an array) names files and directories removed on exit.

own_process_group() {
  if [ "$(ps -o pgid= -p $$ | tr -d ' ')" != "$$" ] && command -v setsid >/dev/null; then exec setsid bash "$0" "$@"; fi
  CLEANUP_PATHS=()
  trap end_process_group EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# This script's processes: its group but itself, the caller's processes in it (`run.sh | tee` shares the group and the
# parent) and the subshell asking (with its ps and awk).
group_members() {
  local asking=$BASHPID
  ps -e -o pid=,ppid=,pgid= | awk -v me=$$ -v up=$PPID -v asking="$asking" '$3 == me && $1 != me && $2 != up && $1 != asking && $2 != asking {print $1}'
}

end_process_group() {
  local status=$?
  trap - EXIT
  kill $(group_members) 2>/dev/null || true
  # Helpers shut down cleanly on SIGTERM; wait for them, so that nothing of the script outlives it.
  for _ in $(seq 100); do [ -z "$(group_members)" ] && break; sleep 0.1; done
  [ ${#CLEANUP_PATHS[@]} -eq 0 ] || rm -rf "${CLEANUP_PATHS[@]}"
  exit "$status"
}
