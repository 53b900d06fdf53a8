package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
)

// BenchmarkAttachment50MB uploads and downloads a 50 MB video over HTTP
// through the encryption path (sniffing, SHA-256, AES-256-GCM chunks, disk)
// and reports MB/s both ways and the peak Go heap of the process (client
// and server are in it).
func BenchmarkAttachment50MB(b *testing.B) {
	f := newLiveFixture(b, func(c *serveConfig) {
		c.Limits = chat.Limits{Photo: 1 << 20, File: 1 << 20, Audio: 1 << 20, Video: 100 << 20}
	})
	video := append(mp4File()[:40], make([]byte, 50<<20)...)
	_, _ = rand.Read(video[40:])
	var up, down time.Duration
	done := make(chan struct{})
	peak := make(chan uint64, 1)
	go func() { peak <- samplePeak(done) }()
	for b.Loop() {
		start := time.Now()
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			fw, _ := mw.CreateFormFile("file", "einsatz.mp4")
			_, err := io.Copy(fw, bytes.NewReader(video))
			if err == nil {
				err = mw.Close()
			}
			pw.CloseWithError(err)
		}()
		req, _ := http.NewRequest("POST", f.ts.URL+"/api/v1/chats/"+f.chat+"/attachments", pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+f.member)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var att chat.Attachment
		_ = json.NewDecoder(resp.Body).Decode(&att)
		resp.Body.Close()
		if resp.StatusCode != 201 {
			b.Fatalf("upload: %d", resp.StatusCode)
		}
		up += time.Since(start)

		start = time.Now()
		req, _ = http.NewRequest("GET", f.ts.URL+"/api/v1/attachments/"+att.ID, nil)
		req.Header.Set("Authorization", "Bearer "+f.member)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if n != int64(len(video)) {
			b.Fatalf("downloaded %d bytes", n)
		}
		down += time.Since(start)
	}
	close(done)
	mb := float64(len(video)) / (1 << 20) * float64(b.N)
	b.ReportMetric(mb/up.Seconds(), "upload-MB/s")
	b.ReportMetric(mb/down.Seconds(), "download-MB/s")
	b.ReportMetric(float64(<-peak)/(1<<20), "peak-heap-MiB")
}

func samplePeak(done chan struct{}) uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var p uint64
	for {
		metrics.Read(s)
		p = max(p, s[0].Value.Uint64())
		select {
		case <-done:
			return p
		case <-time.After(5 * time.Millisecond):
		}
	}
}
