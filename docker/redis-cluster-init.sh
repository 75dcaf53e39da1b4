#!/bin/sh
# Joins the Redis nodes named as arguments (host:port) into a Cluster with one replica per
# master, once: docker/compose.yaml's `cluster` profile runs it before the apps start.
#
# Idempotent. `redis-cli --cluster create` refuses nodes that already know others, so it runs
# only while every node is alone; nodes that come back from their nodes.conf (a later `up`) are
# just waited for. Exits 0 once every node is ok and sees the same masters and replicas.
#
#   sh docker/redis-cluster-init.sh 127.0.0.1:7000 127.0.0.1:7001 ... (6 nodes)
set -eu

if [ "$#" -lt 6 ]; then
  echo "usage: $0 host:port... (at least 6 nodes: 3 masters, each with a replica)" >&2
  exit 2
fi

WAIT_SECONDS=${WAIT_SECONDS:-60}

cli() { # cli <host:port> <command...>
  node=$1
  shift
  redis-cli -h "${node%:*}" -p "${node##*:}" "$@"
}

# A field of CLUSTER INFO (whose lines end in \r), empty if the node does not answer.
info_field() { # info_field <host:port> <field>
  cli "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"
}

answers() { [ "$(cli "$1" ping 2>/dev/null)" = PONG ]; }

all_answer() {
  for node in "$@"; do answers "$node" || return 1; done
}

# Every node in state ok, knowing all the others, and seeing no master without slots (a replica
# still taken for the master it started as): gossip reaches the nodes one by one.
all_ok() {
  for node in "$@"; do
    [ "$(info_field "$node" cluster_state)" = ok ] || return 1
    [ "$(info_field "$node" cluster_known_nodes)" = "$#" ] || return 1
    [ -z "$(cli "$node" cluster nodes | awk '$3 ~ /master/ && NF < 9')" ] || return 1
  done
}

# Whether some node knows another: created already (by an earlier run, or being so now).
any_joined() {
  for node in "$@"; do
    [ "$(info_field "$node" cluster_known_nodes)" -gt 1 ] 2>/dev/null && return 0
  done
  return 1
}

wait_until() { # wait_until <what> <command...>: up to WAIT_SECONDS
  what=$1
  shift
  waited=0
  until "$@"; do
    if [ "$waited" -ge "$WAIT_SECONDS" ]; then
      echo "redis-cluster-init: gave up after ${WAIT_SECONDS}s waiting for $what" >&2
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

wait_until "every node to answer PING" all_answer "$@"
if all_ok "$@"; then
  echo "redis-cluster-init: the cluster is ok already, nothing to do"
  exit 0
fi
if any_joined "$@"; then
  echo "redis-cluster-init: the nodes are joined already; waiting for the cluster to be ok"
  # Some node lost its volume, say: only starting afresh helps.
  hint="(to start afresh: docker compose --profile cluster down -v, which drops all the data)"
  wait_until "every node to be ok and agree on the masters $hint" all_ok "$@"
else
  echo "redis-cluster-init: creating the cluster of $*"
  redis-cli --cluster create "$@" --cluster-replicas 1 --cluster-yes
  wait_until "every node to be ok and agree on the masters" all_ok "$@"
fi
echo "redis-cluster-init: every node is ok and agrees on the masters"
