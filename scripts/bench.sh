#!/usr/bin/env bash
# make bench: every benchmark with its baseline, measured in the same run; writes bench/results.md.
# Timings come from /usr/bin/time (wall, CPU, peak RSS). Nothing here is a test: it never fails on a number.
set -euo pipefail
cd "$(dirname "$0")/.."
R=.build/release/restrace
RB=.build/release/restrace-bench
D=bench/data
PY=notebooks/.venv/bin/python
EVENTS=${BENCH_EVENTS:-5000000}
rm -rf "$D" && mkdir -p "$D"
ROWS=()
row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 |"); printf '%-46s %-22s %-22s %s\n' "$1" "$2" "$3" "$4"; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}' if b else '-')" "$1" "$2"; }
timed() { /usr/bin/time -f "%e %U %S %M" -o "$D/time.txt" "$@"; read -r WALL USR SYS RSS < <(tail -n 1 "$D/time.txt"); CPU=$(python3 -c "print(round($USR+$SYS,3))"); }
"$PY" -m pip install -q mqtt-recorder==1.4.0 >/dev/null 2>&1 || true

echo "== decode"
out=$("$RB" decode 2000000 2>/dev/null)
ours=$(echo "$out" | awk '/^decode_ns/ {print $2}'); base=$(echo "$out" | awk '/^jsondecoder_ns/ {print $2}')
row "decode a typical message (ns)" "$ours" "$base (JSONDecoder)" "$(ratio "$ours" "$base")" "lower is better"

echo "== capture: 1 M realistic messages"
# Each timing below is the median of three runs, alternating restrace and its baseline: the
# machine is shared and a single run can be off by half.
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ws=(); z1s=(); z3s=()
for _ in 1 2 3; do
  rm -rf "$D/cap"
  "$RB" write "$D/cap" 1000000 > "$D/write.txt"; ws+=("$(awk '/^write_seconds/ {print $2}' "$D/write.txt")")
  timed zstd -q -1 -f "$D/cap.txt" -o "$D/cap1.zst"; z1s+=("$WALL")
  timed zstd -q -3 -f "$D/cap.txt" -o "$D/cap3.zst"; z3s+=("$WALL")
done
wsec=$(median "${ws[@]}"); z1=$(median "${z1s[@]}"); z3=$(median "${z3s[@]}")
tbytes=$(awk '/^text_bytes/ {print $2}' "$D/write.txt")
capbytes=$(du -sb "$D/cap" | cut -f1); z1b=$(stat -c %s "$D/cap1.zst"); z3b=$(stat -c %s "$D/cap3.zst")
row "capture write, 1 M messages (s)" "$wsec" "$z3 (zstd -3 of text)" "$(ratio "$wsec" "$z3")" "zstd -1: $z1 s; medians of ${ws[*]} and ${z3s[*]}"
row "capture size (bytes)" "$capbytes" "$z3b (zstd -3)" "$(ratio "$capbytes" "$z3b")" "zstd -1: $z1b; text: $tbytes"
row "capture write (MB/s of text)" "$(python3 -c "print(round($tbytes/$wsec/1e6,1))")" "$(python3 -c "print(round($tbytes/$z3/1e6,1))") (zstd -3)" "$(ratio "$z3" "$wsec")" "higher is better"
"$RB" write "$D/cap-level1" 1000000 1 > "$D/write1.txt"
w1=$(awk '/^write_seconds/ {print $2}' "$D/write1.txt"); b1=$(du -sb "$D/cap-level1" | cut -f1)
row "capture zstd level 3 (default) vs level 1 (bytes)" "$capbytes in $wsec s" "$b1 in $w1 s (level 1)" "$(ratio "$capbytes" "$b1")" "time ratio $(ratio "$wsec" "$w1")"
rs=(); zds=()
for _ in 1 2 3; do
  timed "$RB" read "$D/cap" > /dev/null; rs+=("$WALL")
  timed sh -c "zstd -q -d -c '$D/cap3.zst' > /dev/null"; zds+=("$WALL")
done
rsec=$(median "${rs[@]}"); zd=$(median "${zds[@]}")
row "capture read, 1 M messages (s)" "$rsec" "$zd (zstd -d)" "$(ratio "$rsec" "$zd")" "$(python3 -c "print(round($tbytes/max($rsec,1e-9)/1e6,1))") MB/s of text"

echo "== compact: the same 1 M messages for the archive"
# compact rewrites a copy (level 19, 8 MiB chunks); then the same messages written with one receive
# time for all, and compacted: what the nanosecond times cost, which the text does not carry.
rm -rf "$D/cap-compact" "$D/cap-same" && cp -r "$D/cap" "$D/cap-compact"
timed "$R" compact "$D/cap-compact" > /dev/null; csec=$WALL; crss=$RSS
cbytes=$(du -sb "$D/cap-compact" | cut -f1)
timed zstd -q -19 -f "$D/cap.txt" -o "$D/cap19.zst"; z19=$WALL; z19b=$(stat -c %s "$D/cap19.zst")
"$RB" write "$D/cap-same" 1000000 3 4096 same > /dev/null && "$R" compact "$D/cap-same" > /dev/null
sbytes=$(du -sb "$D/cap-same" | cut -f1)
perm() { python3 -c "print(round($1/1e6,1))"; }
row "compact, 1 M messages (bytes)" "$cbytes in $csec s" "$z19b in $z19 s (zstd -19 of text)" "$(ratio "$cbytes" "$z19b")" "$(perm "$cbytes") vs $(perm "$z19b") B/msg; peak RSS $crss KiB; goal 1.0"
row "compact: one receive time for all (bytes)" "$sbytes" "$cbytes (nanosecond times)" "$(ratio "$sbytes" "$cbytes")" "the times cost $(perm $((cbytes - sbytes))) B/msg; the text has none"

echo "== simulate --out"
# Progress every 10 s gives about 10 events a task: some 5 M events and 500 k tasks from 8 000 devices.
DEV=$(( EVENTS / 625 ))
timed "$R" simulate --devices "$DEV" --duration 170m --progress-every 10s --seed 7 --out "$D/big" > /dev/null 2>&1; simsec=$WALL
msgs=$("$R" info "$D/big" --format json | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['messages']+d['recorder_events'])")
row "simulate --out ($msgs messages, msg/s)" "$(python3 -c "print(int($msgs/$simsec))")" "-" "-" "$simsec s"

echo "== project $msgs events"
"$RB" csv "$D/big" > "$D/events.csv"
# Three fresh projections and three imports, alternating: the medians (the last projection stays).
ps=(); is=(); prss=0
for _ in 1 2 3; do
  rm -f "$D/big.sqlite"; timed "$R" project "$D/big" --db "$D/big.sqlite" --quiet; ps+=("$WALL"); prss=$(( RSS > prss ? RSS : prss ))
  rm -f "$D/import.sqlite"
  timed sqlite3 "$D/import.sqlite" "CREATE TABLE events(time INTEGER, topic TEXT, payload TEXT); CREATE INDEX events_time ON events(time);" ".import --csv $D/events.csv events"; is+=("$WALL")
done
psec=$(median "${ps[@]}"); isec=$(median "${is[@]}")
row "project $msgs events (s)" "$psec" "$isec (sqlite3 .import)" "$(ratio "$psec" "$isec")" "medians of ${ps[*]} and ${is[*]} s; $(python3 -c "print(int($msgs/$psec))") events/s, peak RSS $((prss/1024)) MiB"
timed "$R" project "$D/cap" --db "$D/small.sqlite" --quiet
row "project peak RSS, 1 M vs $msgs events (MiB)" "$((RSS/1024)) vs $((prss/1024))" "-" "-" "grows with the task keys held"
# Some 5 M tasks (the goal's size): a fleet five times larger (a progress report a minute) over
# 250 minutes, stalling less (a stalled device stays silent for good): memory should follow the
# open tasks, not the capture's, nor the time per event grow. About 8 minutes (4 to simulate).
# BENCH_LARGE_DEVICES and BENCH_LARGE_MINUTES change it (110 000 devices and 170 minutes: some
# 4.9 M tasks, most devices with a task open at once).
LARGE=${BENCH_LARGE_DEVICES:-40000}
MINUTES=${BENCH_LARGE_MINUTES:-250}
"$R" simulate --devices "$LARGE" --duration "${MINUTES}m" --progress-every 60s --stall-rate 0.004 --seed 8 --out "$D/large" > /dev/null 2>&1
timed "$R" project "$D/large" --db "$D/large.sqlite" --quiet
btasks=$(sqlite3 "$D/big.sqlite" "SELECT count(*) FROM tasks"); ltasks=$(sqlite3 "$D/large.sqlite" "SELECT count(*) FROM tasks")
lmsgs=$(sqlite3 "$D/large.sqlite" "SELECT events FROM checkpoint")
row "project peak RSS, $ltasks vs $btasks tasks (MiB)" "$((RSS/1024))" "$((prss/1024)) ($btasks tasks)" "$(ratio "$RSS" "$prss")" "$LARGE devices over $MINUTES min, $lmsgs events in $WALL s: $(python3 -c "print(int($lmsgs/$WALL))") events/s vs $(python3 -c "print(int($msgs/$psec))"); goal under 300 MiB at 5 M tasks"
rm -rf "$D/large" "$D/large.sqlite"

echo "== reports on $msgs events"
tasks=$(sqlite3 "$D/big.sqlite" "SELECT count(*) FROM tasks")
slowest=0; slowname=""
for kind in summary tasks throughput failures stalled latency anomalies; do
  runs=()
  for _ in 1 2 3; do timed sh -c "'$R' report $kind --db '$D/big.sqlite' --format json > /dev/null"; runs+=("$WALL"); done
  WALL=$(median "${runs[@]}")
  row "report $kind ($tasks tasks) (ms)" "$(python3 -c "print(int($WALL*1000))")" "-" "-" "median of ${runs[*]} s, process start included"
  if python3 -c "import sys; sys.exit(0 if $WALL > $slowest else 1)"; then slowest=$WALL; slowname=$kind; fi
done
# Without stored statistics (as while `project --follow` writes): percentiles are computed.
sqlite3 "$D/big.sqlite" "UPDATE checkpoint SET statistics_events = NULL"
stale=()
for kind in summary latency; do
  runs=()
  for _ in 1 2 3; do timed sh -c "'$R' report $kind --db '$D/big.sqlite' --format json > /dev/null"; runs+=("$WALL"); done
  stale+=("$kind $(python3 -c "print(int($(median "${runs[@]}")*1000))")")
done
sqlite3 "$D/big.sqlite" "UPDATE checkpoint SET statistics_events = events"
row "reports without stored statistics (ms)" "${stale[*]}" "-" "-" "medians of three: the statistics computed in one pass"
timed sh -c "'$R' report device TESTPROD01/cam000 --db '$D/big.sqlite' --format json > /dev/null"
row "report device (ms)" "$(python3 -c "print(int($WALL*1000))")" "-" "-" ""

echo "== PostgreSQL: project $msgs events, and the reports"
# A throwaway cluster with the server's defaults (fsync on), the same for restrace and for psql.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGD=$(mktemp -d /tmp/restrace-bench-pg.XXXXXX)
as_server() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown nobody "$PGD"
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd /tmp && as_server "$PGBIN/initdb" -D "$PGD/data" -U restrace --auth=trust -E UTF8 --locale=C.UTF-8 > /dev/null)
(cd /tmp && as_server "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/log" -w -o "-p $PGPORT -k $PGD -c listen_addresses=127.0.0.1" start > /dev/null)
trap '(cd /tmp && as_server "$PGBIN/pg_ctl" -D "$PGD/data" -m fast stop > /dev/null 2>&1); rm -rf "$PGD"' EXIT
PSQL=("$PGBIN/psql" -X -q -h 127.0.0.1 -p "$PGPORT" -U restrace)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE proj" -c "CREATE DATABASE copied"
PGURL="postgres://restrace@127.0.0.1:$PGPORT/proj"
pps=(); cps=(); pgrss=0
# Each side starts empty, made so untimed (a new database; a new table for psql), and after a
# CHECKPOINT: the server's writing of the step before does not fall into the next one's time.
for _ in 1 2 3; do
  "${PSQL[@]}" -d postgres -c "DROP DATABASE proj" -c "CREATE DATABASE proj" -c "CHECKPOINT"
  timed "$R" project "$D/big" --db "$PGURL" --quiet; pps+=("$WALL"); pgrss=$(( RSS > pgrss ? RSS : pgrss ))
  "${PSQL[@]}" -d copied -c "DROP TABLE IF EXISTS events" -c "CREATE TABLE events(time bigint, topic text, payload text)" -c "CREATE INDEX events_time ON events(time)" -c "CHECKPOINT"
  timed "${PSQL[@]}" -d copied -c "\\copy events FROM '$D/events.csv' CSV"; cps+=("$WALL")
done
ppsec=$(median "${pps[@]}"); cpsec=$(median "${cps[@]}")
row "project $msgs events into PostgreSQL (s)" "$ppsec" "$cpsec (psql \\copy)" "$(ratio "$ppsec" "$cpsec")" "medians of ${pps[*]} and ${cps[*]} s; $(python3 -c "print(int($msgs/$ppsec))") events/s, peak RSS $((pgrss/1024)) MiB"
pgslow=0; pgslowname=""; pgall=()
for kind in summary tasks throughput failures stalled latency anomalies; do
  runs=()
  for _ in 1 2 3; do timed sh -c "'$R' report $kind --db '$PGURL' --format json > /dev/null"; runs+=("$WALL"); done
  WALL=$(median "${runs[@]}")
  pgall+=("$kind $(python3 -c "print(int($WALL*1000))")")
  if python3 -c "import sys; sys.exit(0 if $WALL > $pgslow else 1)"; then pgslow=$WALL; pgslowname=$kind; fi
done
row "reports on PostgreSQL ($tasks tasks) (ms)" "${pgall[*]}" "-" "-" "medians of three, process start included; slowest: $pgslowname"
timed sh -c "'$R' report device TESTPROD01/cam000 --db '$PGURL' --format json > /dev/null"
row "report device on PostgreSQL (ms)" "$(python3 -c "print(int($WALL*1000))")" "-" "-" ""
for kind in summary failures; do
  cmp -s <("$R" report $kind --db "$D/big.sqlite" --format json) <("$R" report $kind --db "$PGURL" --format json) || echo "report $kind differs between SQLite and PostgreSQL" >&2
done
# Four recorders' captures (four fleets of a quarter each), projected by four projectors at once into
# one database, against one projector of the four merged.
for i in 1 2 3 4; do "$R" simulate --devices $((DEV / 4)) --duration 170m --progress-every 10s --seed $((10 + i)) --out "$D/part$i" > /dev/null 2>&1; done
"${PSQL[@]}" -d postgres -c "CREATE DATABASE four" -c "CREATE DATABASE merged"
timed sh -c "for i in 1 2 3 4; do '$R' project '$D/part'\$i --db 'postgres://restrace@127.0.0.1:$PGPORT/four' --quiet & done; wait"; fourwall=$WALL
timed "$R" project "$D/part1" "$D/part2" "$D/part3" "$D/part4" --db "postgres://restrace@127.0.0.1:$PGPORT/merged" --quiet; mergedwall=$WALL
row "4 captures into PostgreSQL: 4 projectors at once vs 1 of the merge (s)" "$fourwall" "$mergedwall (one projector)" "$(ratio "$fourwall" "$mergedwall")" "4 simulated fleets of $((DEV / 4)) devices; 2 cores"
(cd /tmp && as_server "$PGBIN/pg_ctl" -D "$PGD/data" -m fast stop > /dev/null); rm -rf "$PGD"; trap - EXIT
# `report tasks` streams: the time to its first line is what a person waits for.
first_line() {  # FORMAT: median of three, ms from start to the first byte on stdout
  python3 - "$R" "$D/big.sqlite" "$1" <<'PY'
import statistics, subprocess, sys, time
runs = []
for _ in range(3):
    t = time.perf_counter()
    p = subprocess.Popen([sys.argv[1], "report", "tasks", "--db", sys.argv[2], "--format", sys.argv[3]], stdout=subprocess.PIPE)
    p.stdout.read(1); runs.append((time.perf_counter() - t) * 1000)
    p.stdout.read(); p.wait()
print(int(statistics.median(runs)))
PY
}
# On a cold cache: the projection file's pages dropped from the page cache before each report.
cold=()
for kind in summary stalled latency anomalies; do
  python3 -c "import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)" "$D/big.sqlite"
  timed sh -c "'$R' report $kind --db '$D/big.sqlite' --format json > /dev/null"; cold+=("$kind $(python3 -c "print(int($WALL*1000))")")
done
row "reports on a cold cache (ms)" "${cold[*]}" "-" "-" "file evicted with posix_fadvise before each"
row "report tasks, first line (ms)" "$(first_line json) (json)" "-" "-" "table: $(first_line table) ms; medians of three"
echo "slowest report: $slowname" > "$D/plan.txt"
plan() { { echo "-- $1"; sqlite3 "$D/big.sqlite" "EXPLAIN QUERY PLAN $1"; } >> "$D/plan.txt"; }
plan "SELECT * FROM tasks t WHERE 1 ORDER BY t.started_at, t.id"
plan "SELECT second / 60 * 60 AS b, sum(up_messages), sum(uploads_started), sum(uploads_done) FROM traffic WHERE 1 GROUP BY 1"
plan "SELECT t.kind = 'upload', CASE WHEN t.state = 'done' AND t.duration_s IS NOT NULL THEN t.duration_s END FROM tasks t WHERE +t.product IN ('TESTPROD01')"
plan "SELECT * FROM tasks t WHERE t.device IN ('cam000') ORDER BY t.started_at, t.id"
plan "SELECT t.kind, t.failed_by, t.result_code, t.result_msg, count(*) FROM tasks t WHERE t.state = 'failed' GROUP BY 1,2,3,4"
plan "SELECT * FROM tasks t WHERE 1 AND (t.state = 'requested' OR t.state = 'offered' OR t.state = 'transferring') AND t.last_event_at < 0 ORDER BY t.last_event_at, t.id"
plan "SELECT count, p50, p95, p99, max FROM statistics WHERE key = 'response_s upload'"

echo "== broker: record and replay"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\nmax_queued_messages 0\nmax_inflight_messages 0\n' "$PORT" > "$D/mosquitto.conf"
$(command -v mosquitto || echo /usr/sbin/mosquitto) -c "$D/mosquitto.conf" > /dev/null 2>&1 &
BROKER=$!
trap 'kill $BROKER 2>/dev/null || true' EXIT
sleep 0.5
N=200000
"$R" simulate --devices 400 --duration 20m --seed 9 --out "$D/pub" > /dev/null 2>&1
"$R" cat "$D/pub" --no-recorder-events --format mosquitto-sub > "$D/pub.txt"
head -n $N "$D/pub.txt" > "$D/pubhead.txt"
cut -d' ' -f3- "$D/pubhead.txt" > "$D/payloads.txt"
N=$(wc -l < "$D/payloads.txt")
"$R" import --format mosquitto-sub "$D/pubhead.txt" --out "$D/pubcap" 2>/dev/null
publish() { "$R" replay "$D/pubcap" --broker "mqtt://127.0.0.1:$PORT" --max-rate --qos 0 2> "$D/replay.txt"; }
recorder_run() {  # NAME COMMAND…: start a recorder, publish N messages, stop it, keep its CPU time
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$D/rec-$name.time" "$@" > "$D/rec-$name.out" 2> "$D/rec-$name.err" &
  local pid=$!
  sleep 1.5
  local t0; t0=$(date +%s.%N)
  publish
  local t1; t1=$(date +%s.%N)
  sleep 3
  pkill -INT -P $pid 2>/dev/null || true
  for _ in $(seq 50); do pgrep -P $pid > /dev/null || break; sleep 0.1; done
  pkill -TERM -P $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  read -r _ u s rss < <(tail -n 1 "$D/rec-$name.time")
  RCPU=$(python3 -c "print(round(($u+$s)/$N*100000,3))"); RRSS=$((rss/1024))
  PUBRATE=$(python3 -c "print(int($N/($t1-$t0)))")
}
recorder_run restrace "$R" record --broker "mqtt://127.0.0.1:$PORT" --out "$D/rec" --qos 0 --client-id bench-rec
got=$("$R" info "$D/rec" --format json | python3 -c "import json,sys; print(json.load(sys.stdin)['messages'])")
ours=$RCPU; ourrss=$RRSS; rate=$PUBRATE
recorder_run mosquitto_sub mosquitto_sub -p "$PORT" -v -F '%U %t %p' -t '$resource/#' -q 0
subgot=$(wc -l < "$D/rec-mosquitto_sub.out")
row "record: CPU s per 100k msgs at $rate msg/s" "$ours ($got/$N kept)" "$RCPU (mosquitto_sub, $subgot/$N)" "$(ratio "$ours" "$RCPU")" "restrace RSS $ourrss MiB, journal on"
subcpu=$RCPU
# The journal's cost: the same recorder without it.
recorder_run restrace-nojournal "$R" record --broker "mqtt://127.0.0.1:$PORT" --out "$D/rec-nj" --qos 0 --client-id bench-rec-nj --no-journal
njgot=$("$R" info "$D/rec-nj" --format json | python3 -c "import json,sys; print(json.load(sys.stdin)['messages'])")
row "record --no-journal: CPU s per 100k msgs" "$RCPU ($njgot/$N kept)" "$subcpu (mosquitto_sub)" "$(ratio "$RCPU" "$subcpu")" "journal on: $ours"
if [ -x notebooks/.venv/bin/mqtt-recorder ]; then
  recorder_run mqtt-recorder notebooks/.venv/bin/mqtt-recorder --host 127.0.0.1 --port "$PORT" --mode record --file "$D/mqttrec.csv" --topic '$resource/#' --qos 0
  mrgot=$(python3 -c "import csv,sys; csv.field_size_limit(10**9); print(sum(1 for _ in csv.reader(open('$D/mqttrec.csv'))))" 2>/dev/null || echo 0)
  row "record vs mqtt-recorder (CPU s per 100k)" "$ours ($got/$N kept)" "$RCPU (mqtt-recorder, $mrgot/$N)" "$(ratio "$ours" "$RCPU")" ""
fi

echo "== replay"
delivered() {  # FILE: messages a subscriber saw
  wc -l < "$1" | tr -d ' '
}
for q in 0 1; do
  timeout 60 mosquitto_sub -p "$PORT" -t '$resource/#' -q $q > "$D/sub-ours-$q.txt" 2>/dev/null & SUB=$!; sleep 0.5
  timed "$R" replay "$D/pubcap" --broker "mqtt://127.0.0.1:$PORT" --max-rate --qos $q 2> /dev/null; ours=$(python3 -c "print(int($N/$WALL))")
  sleep 3; kill $SUB 2>/dev/null; wait $SUB 2>/dev/null || true
  timeout 60 mosquitto_sub -p "$PORT" -t '$resource/#' -q $q > "$D/sub-base-$q.txt" 2>/dev/null & SUB=$!; sleep 0.5
  timed sh -c "mosquitto_pub -p $PORT -q $q -l -t '\$resource/up/service/P/bench' < '$D/payloads.txt'"; base=$(python3 -c "print(int($N/$WALL))")
  sleep 3; kill $SUB 2>/dev/null; wait $SUB 2>/dev/null || true
  [ "$q" = 1 ] && ours_qos1=$ours
  row "replay --max-rate QoS $q (msg/s)" "$ours ($(delivered "$D/sub-ours-$q.txt")/$N delivered)" "$base (mosquitto_pub -l, $(delivered "$D/sub-base-$q.txt")/$N delivered)" "$(ratio "$ours" "$base")" "rate = published / process time"
done
# The same QoS 0 comparison without a subscriber, five runs each, alternating: the median.
# The broker's own CPU time during each run shows what bounds both publishers.
broker_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$BROKER/stat"; }
ours_runs=(); base_runs=(); ours_bcpu=(); base_bcpu=()
for _ in 1 2 3 4 5; do
  b0=$(broker_cpu)
  timed "$R" replay "$D/pubcap" --broker "mqtt://127.0.0.1:$PORT" --max-rate --qos 0 2> /dev/null; ours_runs+=("$WALL")
  b1=$(broker_cpu); ours_bcpu+=("$(python3 -c "print(round($b1-$b0,2))")"); ours_cpu=$CPU
  timed sh -c "mosquitto_pub -p $PORT -q 0 -l -t '\$resource/up/service/P/bench' < '$D/payloads.txt'"; base_runs+=("$WALL")
  b2=$(broker_cpu); base_bcpu+=("$(python3 -c "print(round($b2-$b1,2))")"); base_cpu=$CPU
done
ours=$(python3 -c "print(int($N/$(median "${ours_runs[@]}")))"); base=$(python3 -c "print(int($N/$(median "${base_runs[@]}")))")
row "replay --max-rate QoS 0, median of 5 (msg/s)" "$ours" "$base (mosquitto_pub -l)" "$(ratio "$ours" "$base")" "no subscriber; runs: ${ours_runs[*]} s vs ${base_runs[*]} s"
row "broker CPU s during those QoS 0 runs" "${ours_bcpu[*]}" "${base_bcpu[*]} (mosquitto_pub -l)" "-" "walls above; publisher CPU of the last run: $ours_cpu s vs $base_cpu s"
if [ -x notebooks/.venv/bin/mqtt-recorder ]; then
  # mqtt-recorder replays its own CSV (topic, payload, qos, retain, time, delay); delay 0 = as fast as it can.
  M=50000
  for q in 0 1; do
    python3 - "$D/pubhead.txt" "$D/mr-replay.csv" "$M" "$q" <<'PY'
import csv, sys
with open(sys.argv[1], 'rb') as f, open(sys.argv[2], 'w', newline='') as out:
    w = csv.writer(out)
    for i, line in enumerate(f):
        if i >= int(sys.argv[3]): break
        t, topic, payload = line.rstrip(b'\n').decode('utf-8', 'replace').split(' ', 2)
        w.writerow([topic, payload, int(sys.argv[4]), False, t, 0])
PY
    timeout 60 mosquitto_sub -p "$PORT" -t '$resource/#' -q $q > "$D/sub-mr-$q.txt" 2>/dev/null & SUB=$!; sleep 0.5
    timed notebooks/.venv/bin/mqtt-recorder --host 127.0.0.1 --port "$PORT" --mode replay --file "$D/mr-replay.csv" > /dev/null 2>&1
    mr=$(python3 -c "print(int($M/$WALL))")
    sleep 3; kill $SUB 2>/dev/null; wait $SUB 2>/dev/null || true
    ours_q=$ours; [ "$q" = 1 ] && ours_q=$ours_qos1
    row "replay --max-rate QoS $q vs mqtt-recorder (msg/s)" "$ours_q" "$mr (mqtt-recorder replay, $(delivered "$D/sub-mr-$q.txt")/$M delivered)" "$(ratio "$ours_q" "$mr")" ""
  done
fi
"$RB" steady "$D/steady" 10000 5
"$R" replay "$D/steady" --broker "mqtt://127.0.0.1:$PORT" --qos 0 2> "$D/lateness.txt"
lat=$(tail -n 1 "$D/lateness.txt" | sed 's/.*lateness //')
row "replay --rate 1 at 10 k msg/s: lateness" "$lat" "-" "-" "goal: p99 under 1 ms"

echo "== closed loop: 1 000 devices played against their captured platform"
closed_loop() {  # CAPTURE TIMING…: the platform played live, then the devices with --expect
  local cap=$1; shift
  rm -rf "$D/cl-p" "$D/cl-d"
  "$R" replay "$cap" --broker "mqtt://127.0.0.1:$PORT" --play platform "$@" --record-to "$D/cl-p" --idle-timeout 10s 2> "$D/cl-p.txt" &
  local pp=$!
  sleep 1
  local t0; t0=$(date +%s.%N)
  CLEXIT=0
  "$R" replay "$cap" --broker "mqtt://127.0.0.1:$PORT" --play device "$@" --record-to "$D/cl-d" --expect > "$D/cl-d.out" 2> "$D/cl-d.txt" || CLEXIT=$?
  CLWALL=$(python3 -c "print(round($(date +%s.%N) - $t0, 1))")
  wait $pp || true
  CLREACT=$(grep -o 'p50 [0-9.]* ms, p99 [0-9.]* ms' "$D/cl-d.txt" | head -1 || true)
  CLSAME=$(grep -E 'same, ' "$D/cl-d.out" | tail -n 1 || true)
}
"$R" simulate --devices 1000 --duration 60s --seed 11 --out "$D/fleet1k" > /dev/null 2>&1
span=$("$R" info "$D/fleet1k" --format json | python3 -c "import json,sys,datetime; d=json.load(sys.stdin); f=lambda s: datetime.datetime.fromisoformat(s.replace('Z','+00:00')).timestamp(); print(round(f(d['last_at'])-f(d['first_at']),1))")
closed_loop "$D/fleet1k" --max-rate
row "closed loop --max-rate: reaction to live answers" "$CLREACT" "-" "-" "goal: p99 under 1 ms; run $CLWALL s for a $span s capture; exit $CLEXIT: $CLSAME"
closed_loop "$D/fleet1k" --rate 1
row "closed loop --rate 1: run time (s)" "$CLWALL" "$span (the capture's span)" "$(ratio "$CLWALL" "$span")" "exit $CLEXIT: $CLSAME"

{
  echo "# Benchmarks"
  echo
  echo "Made by \`make bench\` on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)."
  echo "restrace's figure and its baseline's, measured in the same run; ratio = restrace / baseline."
  echo
  echo "| benchmark | restrace | baseline | ratio | note |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "Query plans (\`$D/plan.txt\`):"
  echo
  echo '```'
  cat "$D/plan.txt"
  echo '```'
} > bench/results.md
echo "wrote bench/results.md"
