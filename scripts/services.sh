# Starts and stops the services the tests use; sourced by scripts/test.sh.
# Each area adds its own as scripts/ci/service-<name>.sh defining start_<name> / stop_<name>.
SERVICES=()
for f in scripts/ci/service-*.sh; do
  [ -e "$f" ] || continue
  source "$f"
  n=$(basename "$f" .sh); SERVICES+=("${n#service-}")
done
services_start() { for s in "${SERVICES[@]}"; do log "start $s"; "start_${s//-/_}"; done; }
services_stop() { for s in "${SERVICES[@]}"; do "stop_${s//-/_}" || true; done; }
