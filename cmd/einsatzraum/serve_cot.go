package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/einsatzraum/cot"
)

// cotConfig is the TAK gateway's part of "einsatzraum serve".
type cotConfig struct {
	Listen    string // empty: no gateway
	Cert, Key string // TLS certificate and key (PEM)
	Plain     bool   // plain TCP, only when asked for
	MaxEvent  int64
	PublicURL string // where TAK clients reach the web server (file downloads)

	HandshakeTimeout time.Duration
	ReadTimeout      time.Duration
}

func (c *cotConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Listen, "cot-listen", "", "address for TAK clients (ATAK, iTAK, WinTAK) speaking streaming CoT XML, e.g. :8089; empty: off")
	fs.StringVar(&c.Cert, "cot-cert", "", "TLS certificate file (PEM) of the CoT listener")
	fs.StringVar(&c.Key, "cot-key", "", "TLS key file (PEM) of the CoT listener")
	fs.BoolVar(&c.Plain, "cot-plain", false, "serve CoT over plain TCP (no TLS): only inside a network that encrypts itself")
	fs.Int64Var(&c.MaxEvent, "cot-max-event", 64<<10, "largest CoT event in bytes (larger: the connection closes)")
	fs.DurationVar(&c.HandshakeTimeout, "cot-handshake-timeout", 10*time.Second, "time for a TAK client's TLS handshake and first event")
	fs.DurationVar(&c.ReadTimeout, "cot-read-timeout", 2*time.Minute, "a TAK client silent this long (no event, no ping) is dropped")
	fs.StringVar(&c.PublicURL, "public-url", "", "the URL users and TAK clients reach this server at: links in mails, file downloads (default: the --listen address)")
}

// openCoT opens the gateway's listener and builds the gateway, or returns
// nils when --cot-listen is empty. publicURL gives the web server's base
// URL once it listens.
func openCoT(cfg cotConfig, staleAfter time.Duration, svc *einsatzraum.Service, hub *einsatzraum.Hub, reg prometheus.Registerer, log *slog.Logger, publicURL func() string) (*cot.Gateway, net.Listener, error) {
	if cfg.Listen == "" {
		return nil, nil, nil
	}
	var tlsCfg *tls.Config
	switch {
	case cfg.Cert != "" || cfg.Key != "":
		cert, err := tls.LoadX509KeyPair(cfg.Cert, cfg.Key)
		if err != nil {
			return nil, nil, fmt.Errorf("--cot-cert/--cot-key: %w", err)
		}
		tlsCfg = serverTLS(cert)
	case !cfg.Plain:
		return nil, nil, errors.New("--cot-listen needs --cot-cert and --cot-key (or --cot-plain for plain TCP)")
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("--cot-listen %s: %w", cfg.Listen, err)
	}
	g := cot.New(cot.Config{
		Service: svc, Hub: hub, Logger: log, TLS: tlsCfg, MaxEventBytes: cfg.MaxEvent,
		HandshakeTimeout: cfg.HandshakeTimeout, ReadTimeout: cfg.ReadTimeout, StaleAfter: staleAfter, Registry: reg,
		FileURL: func(id, link string) string {
			return publicURL() + "/api/v1/attachments/" + url.PathEscape(id) + "/shared?link=" + url.QueryEscape(link)
		},
	})
	return g, ln, nil
}
