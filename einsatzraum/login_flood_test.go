package einsatzraum_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/einsatzraum/sqlstore"
)

// TestLoginFloodIsBounded sends 200 logins for unknown accounts at once
// (each costs a 19 MiB argon2id hash): at most PasswordHashes run at once,
// the queue past PasswordQueue is answered 429 server_busy at once, and
// the heap stays small (it once grew by 3.6 GB and stalled logins 44 s).
func TestLoginFloodIsBounded(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "flood.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := einsatzraum.NewService(db, nil, einsatzraum.Config{EmailDomains: []string{"polizei.example"},
		RateLimits: einsatzraum.RateLimits{LoginAttemptsPerAddress: -1, LoginFailuresPerAccount: -1, PasswordHashes: 2, PasswordQueue: 16}})

	var base runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() { // the heap's high-water mark while the flood runs
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	var wg sync.WaitGroup
	var denied, busy, other atomic.Int64
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.Login(ctx, einsatzraum.LoginInput{Email: fmt.Sprintf("nobody%d@polizei.example", i), Password: "wrong-password-123", DeviceName: "phone"}, "10.0.0.1")
			switch e := einsatzraum.AsError(err); {
			case e != nil && e.Code == "invalid_credentials":
				denied.Add(1)
			case e != nil && e.Code == "server_busy":
				busy.Add(1)
			default:
				other.Add(1)
				t.Errorf("login: %v", err)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	grew := float64(peak.Load()-min(peak.Load(), base.HeapInuse)) / (1 << 20)
	t.Logf("200 logins at once: %d refused as wrong, %d told to come back (429); heap grew by %.0f MiB at most", denied.Load(), busy.Load(), grew)
	if busy.Load() == 0 || denied.Load() < 16 {
		t.Fatalf("%d wrong, %d busy: the queue bound did not act", denied.Load(), busy.Load())
	}
	// Two hashes at once hold about 40 MiB; finished ones leave garbage
	// until the next GC. Without the bound, 200 at once hold 3.8 GiB.
	if grew > 400 {
		t.Fatalf("the heap grew by %.0f MiB under the flood", grew)
	}
}
