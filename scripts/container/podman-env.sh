# Sourced by the container scripts: rootful podman settings that work on this kind of machine,
# in a containers.conf of our own (CONTAINERS_CONF), leaving /etc/containers as it is.
# - runtime runc: crun fails on this machine's cgroup mode (cgroup v1);
# - explicit nofile/nproc ulimits: podman's defaults (nofile 1048576, the host's nproc) are above
#   what the container's init may set here, and runc then fails with "error setting rlimits".
#   nofile is the host's hard limit (at most 65536), nproc 4096: plenty for node + its threads.
# shellcheck shell=bash
podman_env() {
  local dir="$1" nofile
  nofile="$(ulimit -Hn)"
  if [ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ]; then nofile=65536; fi
  mkdir -p "$dir"
  cat > "$dir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=4096:4096"]

[engine]
runtime = "runc"
EOF
  export CONTAINERS_CONF="$dir/containers.conf"
}
