#!/usr/bin/env python3
"""Whether a process holds the master key: keyscan.py KEYFILE PID...

For each PID prints one line "PID mem=found|absent fd=found|absent
regions=N bytes=M": mem is whether the key's 32 bytes (from the key file:
magic 8, version 2, padding 2, then the key) appear anywhere in the
process's memory (every mapping of /proc/PID/maps read through
/proc/PID/mem, but for reservations: AddressSanitizer's shadow and allocator space), fd whether one of its
open files is the key file. Exit status 2 when a process could not be read
at all (so that a scan that saw nothing cannot pass for "absent")."""
import os
import sys

KEY_OFF, KEY_LEN = 12, 32
# Reservations, not data: mappings above 64 GiB (AddressSanitizer's shadow
# memory, terabytes never touched) and inaccessible ones above 1 GiB (its
# allocator's reserved space). Counted, not read.
REGION_MAX = 1 << 36
NOACCESS_MAX = 1 << 30


def scan(pid, key, key_stat):
    regions = read = skipped = 0
    found = False
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            rng = line.split()[0]
            lo, hi = (int(x, 16) for x in rng.split("-"))
            if "[vsyscall]" in line:
                continue
            perms = line.split()[1]
            if hi - lo > REGION_MAX or (perms.startswith("---") and hi - lo > NOACCESS_MAX):
                skipped += 1
                continue
            regions += 1
            tail = b""
            pos = lo
            while pos < hi:
                n = min(hi - pos, 1 << 20)
                try:
                    mem.seek(pos)
                    chunk = mem.read(n)
                except OSError:
                    break
                if not chunk:
                    break
                read += len(chunk)
                if key in tail + chunk:
                    found = True
                tail = chunk[-(KEY_LEN - 1):]
                pos += len(chunk)
    fd_found = False
    fddir = f"/proc/{pid}/fd"
    for fd in os.listdir(fddir):
        try:
            st = os.stat(os.path.join(fddir, fd))
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == key_stat:
            fd_found = True
    return found, fd_found, regions, read, skipped


def main():
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    key = data[KEY_OFF:KEY_OFF + KEY_LEN]
    assert len(key) == KEY_LEN and data[:8] == b"FVMASTER"
    st = os.stat(sys.argv[1])
    rc = 0
    for pid in sys.argv[2:]:
        mem, fd, regions, read, skipped = scan(pid, key, (st.st_dev, st.st_ino))
        if read == 0:
            rc = 2
        print(f"{pid} mem={'found' if mem else 'absent'} fd={'found' if fd else 'absent'} "
              f"regions={regions} bytes={read} reservations_skipped={skipped}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
