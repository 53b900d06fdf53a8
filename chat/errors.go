package chat

// InputError reports bad input from a client with a stable code.
type InputError struct {
	Code string
	Msg  string
}

func (e *InputError) Error() string { return e.Code + ": " + e.Msg }

// InputError returns the stable code and human message; the domain maps
// every error with this method to a 400.
func (e *InputError) InputError() (code, message string) { return e.Code, e.Msg }

func invalid(code, msg string) error { return &InputError{Code: code, Msg: msg} }
