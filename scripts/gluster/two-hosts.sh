#!/usr/bin/env bash
# Two "hosts" on one machine that share a spool through GlusterFS, the way cluster hosts share one over NFS:
# a GlusterFS server (glusterd and one brick) on a bridge in the machine's own network namespace, and two network
# namespaces, host-a and host-b, each with its own address on that bridge and its own FUSE mount of the volume
# made by the real GlusterFS client (`glusterfs`, Debian's glusterfs-client), whose traffic goes over TCP from
# the host's namespace. Processes started with `run` get the host's network namespace and its own hostname
# (a UTS namespace), so tickets name the host that holds them. Needs root and /dev/fuse.
#
#   scripts/gluster/two-hosts.sh up DIR             server, volume, hosts; mounts at DIR/host-a and DIR/host-b
#   scripts/gluster/two-hosts.sh run DIR HOST CMD…  CMD as HOST (host-a|host-b); execs, so CMD keeps this pid
#   scripts/gluster/two-hosts.sh crash DIR HOST     HOST's mount dies: its client is killed, the mount is lazily
#                                                   unmounted, its link goes down (kill its processes first)
#   scripts/gluster/two-hosts.sh down DIR           unmounts, stops the volume and every daemon, removes the hosts
#
# Addresses: the server 10.77.14.1, host-a 10.77.14.2, host-b 10.77.14.3, on bridge fsp-br0 (private to this
# machine; nothing leaves it). One instance per machine (glusterd listens on port 24007). Server state and logs
# live under DIR/server; each client's log and pid are DIR/HOST.log and DIR/HOST.pid.
set -euo pipefail

cmd=${1:?usage: two-hosts.sh up|run|crash|down DIR ...}
DIR=$(realpath -m "${2:?usage: two-hosts.sh up|run|crash|down DIR ...}")
shift 2
VOL=frispool
BR=fsp-br0
SERVER=10.77.14.1
declare -A ADDR=([host-a]=10.77.14.2 [host-b]=10.77.14.3)
declare -A NS=([host-a]=fsp-host-a [host-b]=fsp-host-b)
declare -A VETH=([host-a]=fsp-va [host-b]=fsp-vb)

gl() { timeout 60 gluster --mode=script "$@"; }

host_of() {
  [[ -n ${NS[$1]:-} ]] || { echo "two-hosts.sh: no host $1 (host-a or host-b)" >&2; exit 2; }
}

network_up() {
  ip link add "$BR" type bridge
  ip addr add "$SERVER/24" dev "$BR"
  ip link set "$BR" up
  local h
  for h in host-a host-b; do
    ip netns add "${NS[$h]}"
    ip link add "${VETH[$h]}" type veth peer name eth0 netns "${NS[$h]}"
    ip link set "${VETH[$h]}" master "$BR" up
    ip -n "${NS[$h]}" addr add "${ADDR[$h]}/24" dev eth0
    ip -n "${NS[$h]}" link set eth0 up
    ip -n "${NS[$h]}" link set lo up
  done
}

network_down() {
  local h
  for h in host-a host-b; do
    ip netns del "${NS[$h]}" 2>/dev/null || true
    ip link del "${VETH[$h]}" 2>/dev/null || true
  done
  ip link del "$BR" 2>/dev/null || true
}

mount_host() { # the real FUSE client in the host's network namespace; the mount is in the machine's mount table
  local h=$1
  mkdir -p "$DIR/$h"
  nsenter --net="/run/netns/${NS[$h]}" glusterfs --volfile-server="$SERVER" --volfile-id="$VOL" \
    --pid-file="$DIR/$h.pid" --log-file="$DIR/$h.log" "$DIR/$h"
  for _ in $(seq 300); do
    if [[ $(stat -f -c %T "$DIR/$h" 2>/dev/null) == fuseblk || $(stat -f -c %T "$DIR/$h" 2>/dev/null) == fuse* ]] &&
      mountpoint -q "$DIR/$h"; then
      return 0
    fi
    sleep 0.1
  done
  echo "two-hosts.sh: $h: mount of $VOL not up after 30 s; its log:" >&2
  tail -n 30 "$DIR/$h.log" >&2
  exit 1
}

up() {
  [[ $(id -u) == 0 ]] || { echo "two-hosts.sh: needs root" >&2; exit 2; }
  [[ -c /dev/fuse ]] || { echo "two-hosts.sh: no /dev/fuse" >&2; exit 2; }
  local b
  for b in glusterd gluster glusterfs nsenter unshare ip; do
    command -v "$b" >/dev/null || { echo "two-hosts.sh: $b is missing (apt-get install glusterfs-server glusterfs-client iproute2)" >&2; exit 2; }
  done
  if timeout 2 bash -c "echo > /dev/tcp/127.0.0.1/24007" 2>/dev/null; then
    echo "two-hosts.sh: something already listens on port 24007 (another glusterd?); run 'down' on its DIR first" >&2
    exit 2
  fi
  network_down # leftovers of a run that could not clean up
  mkdir -p "$DIR/server/glusterd" "$DIR/server/brick" "$DIR/server/log"
  network_up
  # glusterd with its own working directory (peer id, volume definitions) instead of /var/lib/glusterd.
  sed "s|option working-directory .*|option working-directory $DIR/server/glusterd|" /etc/glusterfs/glusterd.vol \
    > "$DIR/server/glusterd.vol"
  glusterd -f "$DIR/server/glusterd.vol" -p "$DIR/server/glusterd.pid" -l "$DIR/server/log/glusterd.log" \
    --log-level=WARNING
  for _ in $(seq 300); do gl volume list >/dev/null 2>&1 && break; sleep 0.1; done
  # One brick on this machine's disk (`force`: gluster warns about bricks on the root filesystem).
  gl volume create "$VOL" transport tcp "$SERVER:$DIR/server/brick" force >/dev/null
  gl volume start "$VOL" >/dev/null
  mount_host host-a
  mount_host host-b
  echo "up: $DIR/host-a and $DIR/host-b mount $SERVER:/$VOL"
}

run() {
  local h=${1:?usage: two-hosts.sh run DIR HOST CMD...}
  host_of "$h"
  shift
  # Own hostname: unshare --uts, then hostname; exec keeps the pid all the way to CMD.
  exec nsenter --net="/run/netns/${NS[$h]}" unshare --uts -- sh -c 'hostname "$0" && exec "$@"' "$h" "$@"
}

crash() {
  local h=${1:?usage: two-hosts.sh crash DIR HOST}
  host_of "$h"
  [[ -f "$DIR/$h.pid" ]] && kill -KILL "$(cat "$DIR/$h.pid")" 2>/dev/null || true
  umount -l "$DIR/$h" 2>/dev/null || true
  ip link set "${VETH[$h]}" down 2>/dev/null || true
}

down() {
  local h pid f
  for h in host-a host-b; do
    [[ -f "$DIR/$h.pid" ]] && kill -TERM "$(cat "$DIR/$h.pid")" 2>/dev/null || true
    umount -l "$DIR/$h" 2>/dev/null || true
  done
  if [[ -f "$DIR/server/glusterd.pid" ]] && kill -0 "$(cat "$DIR/server/glusterd.pid")" 2>/dev/null; then
    gl volume stop "$VOL" force >/dev/null 2>&1 || true
    gl volume delete "$VOL" >/dev/null 2>&1 || true
  fi
  # Whatever glusterd started (bricks, self-heal) and glusterd itself, by their pid files under DIR.
  while IFS= read -r f; do
    pid=$(cat "$f" 2>/dev/null) || continue
    [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null || true
  done < <(find "$DIR/server" "/var/run/gluster/vols/$VOL" -name '*.pid' 2>/dev/null)
  network_down
}

case $cmd in
  up) up ;;
  run) run "$@" ;;
  crash) crash "$@" ;;
  down) down ;;
  *) echo "usage: two-hosts.sh up|run|crash|down DIR ..." >&2; exit 2 ;;
esac
