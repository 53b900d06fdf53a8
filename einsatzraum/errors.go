package einsatzraum

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error so that the HTTP layer can map it to a status
// without knowing the details. Every error the service returns on purpose
// carries one; anything else is an internal error.
type Kind int

// The error kinds. Their HTTP statuses are fixed in web.statusOf.
const (
	KindInternal     Kind = iota // a bug or an unreachable dependency: 500, logged
	KindInvalid                  // bad input: 400
	KindUnauthorized             // no, unknown or revoked token: 401
	KindForbidden                // known caller, not allowed: 403
	KindNotFound                 // unknown or not visible to the caller: 404
	KindConflict                 // the state does not allow it: 409
	KindTooLarge                 // body or file over a limit: 413
	KindUnsupported              // media type not accepted: 415
	KindRateLimited              // too many requests: 429
	KindUnavailable              // a dependency is down: 503
)

// String names the kind for logs.
func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindUnauthorized:
		return "unauthorized"
	case KindForbidden:
		return "forbidden"
	case KindNotFound:
		return "not_found"
	case KindConflict:
		return "conflict"
	case KindTooLarge:
		return "too_large"
	case KindUnsupported:
		return "unsupported"
	case KindRateLimited:
		return "rate_limited"
	case KindUnavailable:
		return "unavailable"
	default:
		return "internal"
	}
}

// Error is the one error type of the domain. Code is a stable snake_case
// identifier for clients; Message is for humans; Err is the cause, if any,
// and never shown to clients.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Err     error
	// RetryAfter, for KindRateLimited, is when the client may try again.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error of the given kind and code.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// inputError is implemented by the validation errors of the leaf packages
// (geo, chat), which cannot import this one; they all mean bad input.
type inputError interface {
	error
	InputError() (code, message string)
}

// AsError returns the *Error that err stands for: the first *Error in its
// chain, or a KindInvalid error for a validation error of geo or chat, or
// nil when err is none of those (an internal error).
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ie inputError
	if errors.As(err, &ie) {
		code, msg := ie.InputError()
		return &Error{Kind: KindInvalid, Code: code, Message: msg, Err: err}
	}
	var tl interface{ TooLarge() (string, string) }
	if errors.As(err, &tl) {
		code, msg := tl.TooLarge()
		return &Error{Kind: KindTooLarge, Code: code, Message: msg, Err: err}
	}
	var um interface{ UnsupportedMedia() (string, string) }
	if errors.As(err, &um) {
		code, msg := um.UnsupportedMedia()
		return &Error{Kind: KindUnsupported, Code: code, Message: msg, Err: err}
	}
	return nil
}

// KindOf returns the kind of err (see AsError), KindInternal for errors
// that are not the domain's.
func KindOf(err error) Kind {
	if e := AsError(err); e != nil {
		return e.Kind
	}
	return KindInternal
}

// IsNotFound reports whether err is of KindNotFound.
func IsNotFound(err error) bool { return KindOf(err) == KindNotFound }

// ErrNotFound is what a Store returns for a missing row; the service
// replaces it with a code naming the thing that was not found.
var ErrNotFound = &Error{Kind: KindNotFound, Code: "not_found", Message: "not found"}

// ErrConflict is what a Store returns when a unique constraint fails.
var ErrConflict = &Error{Kind: KindConflict, Code: "conflict", Message: "conflicts with existing data"}

// StorageFull is the error of a write refused because the disk or the
// database is full: 503 storage_full, nothing was saved, the client may
// try again later. Stores and the file store's callers wrap err in it.
func StorageFull(err error) *Error {
	return &Error{Kind: KindUnavailable, Code: "storage_full", Message: "the server's storage is full; nothing was saved, try again later", Err: err}
}
