// Command einsatzraum is the Einsatzraum server and its tools: serve, user,
// layer import, inject and loadtest. Every flag has an environment fallback
// EINSATZRAUM_<FLAG>.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `einsatzraum: the server for police operation rooms

Usage:
  einsatzraum serve [--listen 127.0.0.1:8080] [--data ./data] [--store DSN] [--redis URL]
                    [--email-domains polizei.example,...] [--demo]
  einsatzraum user add [--data DIR | --store DSN] --email E --name N [--callsign C] [--role R]...
  einsatzraum layer import [--data DIR | --store DSN] --name NAME [--crs EPSG:4326|EPSG:25832|EPSG:25833] FILE
  einsatzraum basemap build --osm FILE.osm.pbf|.osm|.osm.gz --out FILE.mbtiles [--max-zoom 16]
  einsatzraum inject --server URL --chat ID [--caption TEXT] FILE...   (token in EINSATZRAUM_TOKEN)
  einsatzraum loadtest --server URL [--users N] [--rooms R] [--rate MSG/S] [--duration D]
  einsatzraum bench [--duration 5s] [--conns 50] [--posters 64] [--store DSN] [--only NAME]

Every flag has an environment fallback EINSATZRAUM_<FLAG>, e.g. EINSATZRAUM_EMAIL_DOMAINS.
Run a command with -h for its flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "einsatzraum:", err)
		os.Exit(1)
	}
}

// run executes one command line. It is main without the process: tests
// call it with their own arguments, environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], getenv, stdout, stderr)
	case "user":
		if len(args) < 2 || args[1] != "add" {
			return errors.New("usage: einsatzraum user add --email E --name N [--callsign C] [--role R]")
		}
		return runUserAdd(ctx, args[2:], getenv, stdin, stdout, stderr)
	case "layer":
		if len(args) < 2 || args[1] != "import" {
			return errors.New("usage: einsatzraum layer import --name NAME [--crs EPSG:25832] FILE")
		}
		return runLayerImport(ctx, args[2:], getenv, stdout, stderr)
	case "basemap":
		if len(args) < 2 || args[1] != "build" {
			return errors.New("usage: einsatzraum basemap build --osm FILE.osm.pbf --out FILE.mbtiles")
		}
		return runBasemapBuild(ctx, args[2:], getenv, stdout, stderr)
	case "inject":
		return runInject(ctx, args[1:], getenv, stdout, stderr)
	case "loadtest":
		return runLoadtest(ctx, args[1:], getenv, stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// newLogger returns a text logger at the given level ("debug", "info", ...).
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
