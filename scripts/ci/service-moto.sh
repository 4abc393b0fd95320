# moto server on loopback: the AWS back end (IoT, DynamoDB) and Cognito tests go through the
# real AWS SDK to it. Tests read IOTP_MOTO_URL and fail (never skip) without it.
MOTO_PORT="${MOTO_PORT:-5055}"
start_moto() {
  # Another program on the port would answer in moto's place and vanish mid-run.
  if (exec 3<>"/dev/tcp/127.0.0.1/$MOTO_PORT") 2>/dev/null; then
    log "127.0.0.1:$MOTO_PORT is already in use: stop that program or set MOTO_PORT"; return 1
  fi
  "$IOTP_VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$IOTP_CACHE/moto.log" 2>&1 &
  MOTO_PID=$!
  wait_port "$MOTO_PORT"
  kill -0 "$MOTO_PID" 2>/dev/null || { log "moto did not start: $(tail -n 3 "$IOTP_CACHE/moto.log")"; return 1; }
  export IOTP_MOTO_URL="http://127.0.0.1:$MOTO_PORT"
}
stop_moto() { [ -n "${MOTO_PID:-}" ] && kill "$MOTO_PID" 2>/dev/null; }
