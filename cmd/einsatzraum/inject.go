package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// runInject sends files from the police network into a chat as a data
// administrator: each file becomes a photo or file message. The token
// comes from EINSATZRAUM_TOKEN. Files are streamed, not loaded.
func runInject(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var server, chatID, caption string
	fs := newFlagSet("inject", stderr)
	fs.StringVar(&server, "server", "http://127.0.0.1:8080", "server URL")
	fs.StringVar(&chatID, "chat", "", "the chat's ID (required)")
	fs.StringVar(&caption, "caption", "", "text shown with every file")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	token := getenv("EINSATZRAUM_TOKEN")
	if chatID == "" || fs.NArg() == 0 {
		return errors.New("usage: EINSATZRAUM_TOKEN=TOKEN einsatzraum inject --server URL --chat ID [--caption TEXT] FILE [FILE]")
	}
	if token == "" {
		return errors.New("inject: set EINSATZRAUM_TOKEN to a data administrator's token")
	}
	client := &http.Client{Timeout: 30 * time.Minute}
	failed := 0
	for _, path := range fs.Args() {
		id, err := injectFile(ctx, client, strings.TrimSuffix(server, "/"), token, chatID, caption, path)
		if err != nil {
			fmt.Fprintf(stderr, "inject %s: %v\n", path, err)
			failed++
			continue
		}
		fmt.Fprintf(stdout, "%s -> message %s\n", path, id)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files failed", failed, fs.NArg())
	}
	return nil
}

func injectFile(ctx context.Context, client *http.Client, server, token, chatID, caption, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := mw.WriteField("caption", caption)
		if err == nil {
			var part io.Writer
			if part, err = mw.CreateFormFile("file", filepath.Base(path)); err == nil {
				if _, err = io.Copy(part, f); err == nil {
					err = mw.Close()
				}
			}
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, "POST", server+"/api/v1/admin/chats/"+chatID+"/inject", pr)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	var m struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &m)
	return m.ID, nil
}
