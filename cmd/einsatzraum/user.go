package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// runUserAdd creates a user. The password comes from stdin when it is not a
// terminal (first line), else from a prompt; never from the command line.
func runUserAdd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	var dataDir, dsn, email, name, callsign string
	roles, domains := listFlag{}, listFlag{}
	fs := newFlagSet("user add", stderr)
	fs.StringVar(&dataDir, "data", "./data", "data directory of the SQLite store")
	fs.StringVar(&dsn, "store", "", "store DSN; empty: the SQLite file in --data")
	fs.StringVar(&email, "email", "", "the user's official email (required)")
	fs.StringVar(&name, "name", "", "the user's full name (required)")
	fs.StringVar(&callsign, "callsign", "", "radio call sign")
	fs.Var(&roles, "role", "global role: admin, data_admin or auditor (repeatable)")
	fs.Var(&domains, "email-domains", "official email domains, comma separated (default polizei.example)")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if len(domains) == 0 {
		domains = listFlag{"polizei.example"}
	}
	if email == "" || name == "" {
		return errors.New("user add: --email and --name are required")
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		return err
	}
	store, err := openCLIStore(ctx, dataDir, dsn, getenv, stderr)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := einsatzraum.NewService(store, nil, einsatzraum.Config{EmailDomains: domains})
	in := einsatzraum.NewUser{Email: email, Name: name, Callsign: callsign, Password: password}
	for _, r := range roles {
		in.Roles = append(in.Roles, einsatzraum.GlobalRole(r))
	}
	u, err := svc.CreateUser(ctx, nil, in)
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	fmt.Fprintf(stdout, "created user %s <%s> id=%s roles=%v\n", u.Name, u.Email, u.ID, u.Roles)
	return nil
}

// readPassword reads the password from a terminal prompt (twice) or, when
// stdin is not a terminal, from its first line.
func readPassword(stdin io.Reader, prompt io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(prompt, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(prompt, "Repeat password: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", errors.New("the passwords differ")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin (pipe it in, or run on a terminal to be prompted)")
	}
	return line, nil
}
