#!/usr/bin/env bash
# make demo: a throwaway mosquitto, `record` while `simulate` drives 100 devices for 30 s, then
# `project` and three reports. Leaves no process behind.
set -euo pipefail
cd "$(dirname "$0")/.."
RESTRACE=${RESTRACE:-.build/release/restrace}
OUT=demo-out
DEVICES=${DEMO_DEVICES:-100}
SECONDS_TO_RUN=${DEMO_SECONDS:-30}
rm -rf "$OUT" && mkdir -p "$OUT"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$OUT/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
set_tcp_nodelay true
max_queued_messages 0
CONF
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
"$MOSQUITTO" -c "$OUT/mosquitto.conf" > "$OUT/mosquitto.log" 2>&1 &
BROKER_PID=$!
RECORDER_PID=
cleanup() {
  [ -n "$RECORDER_PID" ] && kill "$RECORDER_PID" 2>/dev/null || true
  kill "$BROKER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
echo "== mosquitto on 127.0.0.1:$PORT"

echo "== restrace record --broker mqtt://127.0.0.1:$PORT --out $OUT/capture"
"$RESTRACE" record --broker "mqtt://127.0.0.1:$PORT" --out "$OUT/capture" --client-id restrace-demo 2> "$OUT/record.log" &
RECORDER_PID=$!
sleep 1

echo "== restrace simulate --devices $DEVICES --duration ${SECONDS_TO_RUN}s (real time, with faults)"
"$RESTRACE" simulate --broker "mqtt://127.0.0.1:$PORT" --devices "$DEVICES" --duration "${SECONDS_TO_RUN}s" \
  --seed 42 --failure-rate 0.15 --rejection-rate 0.05 --stall-rate 0.05 > "$OUT/injected.json"
sleep 1
kill -INT "$RECORDER_PID"
wait "$RECORDER_PID" || true
RECORDER_PID=
tail -n 1 "$OUT/record.log"
echo "   injected: $(cat "$OUT/injected.json")"

echo
echo "== restrace project $OUT/capture"
"$RESTRACE" project "$OUT/capture"
echo
echo "== restrace report summary $OUT/capture"
"$RESTRACE" report summary --db "$OUT/capture/restrace.sqlite" --stall-after 10s
echo
echo "== restrace report failures $OUT/capture"
"$RESTRACE" report failures --db "$OUT/capture/restrace.sqlite"
echo
echo "== restrace report stalled $OUT/capture --stall-after 10s"
"$RESTRACE" report stalled --db "$OUT/capture/restrace.sqlite" --stall-after 10s
echo
echo "== closed loop: the recorded devices replayed against the recorded platform, checked (--expect)"
"$RESTRACE" replay "$OUT/capture" --broker "mqtt://127.0.0.1:$PORT" --play platform --max-rate \
  --record-to "$OUT/loop-platform" --idle-timeout 10s 2> "$OUT/loop-platform.log" &
PLATFORM_PID=$!
sleep 1
set +e
"$RESTRACE" replay "$OUT/capture" --broker "mqtt://127.0.0.1:$PORT" --play device --max-rate \
  --record-to "$OUT/loop-devices" --expect --junit "$OUT/loop.xml" 2> "$OUT/loop-devices.log" | tail -n 3
VERDICT=${PIPESTATUS[0]}
set -e
wait "$PLATFORM_PID" || true
tail -n 2 "$OUT/loop-devices.log"
if [ "$VERDICT" = 0 ]; then echo "   verdict: PASS (exit 0): the live platform answered every task as the capture did"
else echo "   verdict: FAIL (exit $VERDICT): see above and $OUT/loop.xml"; fi

cat <<TXT

The capture is in $OUT/capture (MCAP files), its projection in $OUT/capture/restrace.sqlite.
Try next:
  $RESTRACE info $OUT/capture
  $RESTRACE cat $OUT/capture --format text --type report_download_progress | head
  $RESTRACE report tasks $OUT/capture --state failed --format csv
  $RESTRACE report latency $OUT/capture
  $RESTRACE report device TESTPROD01/cam000 $OUT/capture
  $RESTRACE replay $OUT/capture --broker mqtt://127.0.0.1:1883 --topic-prefix replay/ --dry-run | head
  $RESTRACE diff $OUT/capture $OUT/loop-devices --device cam000
  sqlite3 $OUT/capture/restrace.sqlite 'SELECT state, count(*) FROM tasks GROUP BY 1'
TXT
