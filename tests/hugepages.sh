# Sourced by the test libraries. DPDK keeps a primary process's hugepage files after it exits
# (for secondary processes); the next primary would clear them, but a test cleans up after
# itself.
# remove_hugepage_files FILE_PREFIX: deletes the hugepage files of --file-prefix FILE_PREFIX.
remove_hugepage_files() {
  local prefix=$1 mnt
  [ -n "$prefix" ] || return 0
  for mnt in $(awk '$3 == "hugetlbfs" {print $2}' /proc/mounts); do
    rm -f "$mnt/${prefix}"map_* 2>/dev/null || true
  done
}
