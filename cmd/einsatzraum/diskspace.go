package main

import (
	"context"
	"fmt"

	"golang.org/x/sys/unix"
)

// minFreeBytes is the free space under which /readyz says the node is not
// ready: the load balancer sends work elsewhere before writes start to
// fail with storage_full.
const minFreeBytes = 256 << 20

// diskSpaceCheck is a /readyz condition: the file system of dir has at
// least minFreeBytes free for the server.
func diskSpaceCheck(dir string) func(context.Context) error {
	return func(context.Context) error {
		var st unix.Statfs_t
		if err := unix.Statfs(dir, &st); err != nil {
			return fmt.Errorf("free space of %s: %w", dir, err)
		}
		free := st.Bavail * uint64(st.Bsize)
		if free < minFreeBytes {
			return fmt.Errorf("storage almost full: %d MiB free in %s", free>>20, dir)
		}
		return nil
	}
}
