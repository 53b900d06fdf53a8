package main

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestLoginLockoutAndWriteLimit: failed logins of an account from one
// address make that address wait (even with the right password), and then
// the real user gets in; other accounts are not affected; writes past the
// limit get 429 with Retry-After.
func TestLoginLockoutAndWriteLimit(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *serveConfig) {
		c.RateLimits.LoginFailuresPerAccount = 3
		// The window outlasts the three failed logins on a loaded machine
		// (three password hashes under -race took over 2 s): the delay
		// after them is 1 s whatever the window.
		c.RateLimits.LoginWindow = time.Minute
		c.RateLimits.WritesPerMinute = 5
	})
	ts.addUser(t, "anna@polizei.example", "Anna")
	ts.addUser(t, "ben@polizei.example", "Ben")
	wrong := map[string]any{"email": "anna@polizei.example", "password": "not-her-password", "device_name": "x"}
	right := map[string]any{"email": "Anna@polizei.example", "password": testPassword, "device_name": "x"}
	for range 3 {
		ts.call(t, "POST", "/api/v1/auth/login", "", wrong).want(t, 401, "invalid_credentials")
	}
	start := time.Now()
	ts.call(t, "POST", "/api/v1/auth/login", "", right).want(t, 429, "login_delayed")
	ts.login(t, "ben@polizei.example") // another account is not locked
	for ts.call(t, "POST", "/api/v1/auth/login", "", right).Status == 429 {
		if time.Since(start) > 5*time.Second {
			t.Fatal("the address still waits 5 s into a 1 s delay")
		}
		time.Sleep(100 * time.Millisecond)
	}
	token := ts.login(t, "anna@polizei.example")

	room := ts.call(t, "POST", "/api/v1/rooms", token, map[string]any{"name": "Limit"}).want(t, 201).str("id")
	for i := range 4 {
		ts.call(t, "POST", "/api/v1/rooms", token, map[string]any{"name": "Limit " + strconv.Itoa(i)}).want(t, 201)
	}
	req, _ := http.NewRequest("DELETE", ts.URL+"/api/v1/rooms/"+room+"/members/u_nobody", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("6th write: status %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	ts.call(t, "GET", "/api/v1/rooms/"+room, token, nil).want(t, 200) // reads are not limited
}
