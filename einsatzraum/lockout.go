package einsatzraum

import (
	"context"
	"fmt"
	"time"
)

// The login's brake against guessing: failed logins count per account AND
// source address. After LoginFailuresPerAccount failures of one pair in
// LoginWindow, each further failure makes that pair wait twice as long as
// the last (1 s, 2 s, 4 s, ... up to LoginWindow) before its next try.
// Nobody is locked out for everyone: the real user from their own
// address, or from any other, logs in while an attacker elsewhere waits.
// All logins of one address are bounded besides (LoginAttemptsPerAddress).

func loginPair(email, address string) string { return email + "|" + address }

// loginAllowed refuses a login attempt of email from address while the
// address is over its limit (429 rate_limited) or the pair must wait (429
// login_delayed with Retry-After).
func (s *Service) loginAllowed(ctx context.Context, email, address string) error {
	rl := s.cfg.RateLimits
	if err := s.limit(ctx, "login-addr:"+address, rl.LoginAttemptsPerAddress, rl.LoginWindow, "too many logins from this address"); err != nil {
		s.audit(ctx, "", "login_rate_limited", email, "address "+address)
		return err
	}
	if rl.LoginFailuresPerAccount < 0 {
		return nil
	}
	n, wait, err := s.limiter.Count(ctx, "login-wait:"+loginPair(email, address))
	if err != nil {
		s.log.Warn("read the login delay", "err", err)
		return nil
	}
	if n > 0 {
		s.audit(ctx, "", "login_delayed", email, "address "+address)
		return &Error{Kind: KindRateLimited, Code: "login_delayed", RetryAfter: wait,
			Message: fmt.Sprintf("too many failed logins for this account from this address; try again in %d s", int(wait.Seconds())+1)}
	}
	return nil
}

// loginFailed counts a failed login of email from address and, past the
// allowance, makes the pair wait.
func (s *Service) loginFailed(ctx context.Context, email, address string) {
	s.audit(ctx, "", "login_failed", email, "address "+address)
	rl := s.cfg.RateLimits
	if rl.LoginFailuresPerAccount < 0 {
		return
	}
	pair := loginPair(email, address)
	n, _, err := s.limiter.Hit(ctx, "login-fail:"+pair, rl.LoginWindow)
	if err != nil {
		s.log.Warn("count a failed login", "err", err)
		return
	}
	if over := n - int64(rl.LoginFailuresPerAccount); over >= 0 {
		if _, _, err := s.limiter.Hit(ctx, "login-wait:"+pair, loginDelay(over, rl.LoginWindow)); err != nil {
			s.log.Warn("set a login delay", "err", err)
		}
	}
}

// loginDelay is the wait after the over-th failure past the allowance:
// 1 s doubling, at most max.
func loginDelay(over int64, max time.Duration) time.Duration {
	if over > 20 {
		return max
	}
	return min(time.Duration(1<<over)*time.Second, max)
}
