package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"

	"golang.org/x/term"

	"github.com/einsatzraum/einsatzraum/layers"
)

// runLayerImport imports a GeoJSON or CSV file as a layer into the store;
// a server on the same store serves it within its refresh interval.
func runLayerImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var dataDir, dsn, name, crsName, latCol, lonCol, xCol, yCol, sep string
	fs := newFlagSet("layer import", stderr)
	fs.StringVar(&dataDir, "data", "./data", "data directory of the SQLite store")
	fs.StringVar(&dsn, "store", "", "store DSN; empty: the SQLite file in --data")
	fs.StringVar(&name, "name", "", "the layer's name; an existing layer of this name is replaced (required)")
	fs.StringVar(&crsName, "crs", "", "EPSG:4326, EPSG:25832 or EPSG:25833; default: the file's crs member, else EPSG:4326")
	fs.StringVar(&latCol, "lat-col", "", "CSV: latitude column (guessed when empty)")
	fs.StringVar(&lonCol, "lon-col", "", "CSV: longitude column")
	fs.StringVar(&xCol, "x-col", "", "CSV: easting column of projected data")
	fs.StringVar(&yCol, "y-col", "", "CSV: northing column of projected data")
	fs.StringVar(&sep, "sep", "", "CSV: separator, ',' or ';' (guessed when empty)")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if fs.NArg() != 1 || name == "" {
		return errors.New("usage: einsatzraum layer import --name NAME [--crs EPSG:25832] FILE")
	}
	if err := layers.ValidName(name); err != nil {
		return err
	}
	crs := layers.WGS84
	var err error
	if crsName != "" {
		if crs, err = layers.ParseCRS(crsName); err != nil {
			return err
		}
	} else {
		crs = "" // let the file's crs member decide
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	bar := newProgressBar(stderr, info.Size(), "features")
	counted := &progressReader{r: f, bar: bar}
	start := time.Now()
	var features []layers.Feature
	if strings.HasSuffix(strings.ToLower(path), ".csv") || latCol != "" || xCol != "" {
		var sepRune rune
		if sep != "" {
			sepRune = []rune(sep)[0]
		}
		features, err = layers.ReadCSV(counted, crs, layers.CSVOptions{LatCol: latCol, LonCol: lonCol, XCol: xCol, YCol: yCol, Sep: sepRune}, bar.features)
	} else {
		features, err = layers.ReadGeoJSON(counted, crs, bar.features)
	}
	bar.done()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	store, err := openCLIStore(ctx, dataDir, dsn, getenv, stderr)
	if err != nil {
		return err
	}
	defer store.Close()
	ls, ok := store.(layers.Store)
	if !ok {
		return errors.New("this store keeps no layers")
	}
	// Through the service, as the operator at the command line: the same
	// rules and the same audit entry as an import over HTTP.
	svc := einsatzraum.NewService(store, nil, einsatzraum.Config{Layers: layers.NewCatalog(ls, nil)})
	meta, err := svc.ImportLayer(ctx, nil, name, features)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported layer %q id=%s version=%d: %d features in %s, bbox %v\n",
		meta.Name, meta.ID, meta.Version, meta.Count, time.Since(start).Round(time.Millisecond), meta.BBox)
	return nil
}

// progressBar draws "[=====>    ] 42% 12345 features" on a terminal; on
// anything else it stays silent. read counts towards total (bytes, tiles),
// feats is the count after the bar, named by unit.
type progressBar struct {
	w        io.Writer
	unit     string
	total    atomic.Int64
	read     atomic.Int64
	feats    atomic.Int64
	stop     chan struct{}
	finished chan struct{}
}

func newProgressBar(w io.Writer, total int64, unit string) *progressBar {
	p := &progressBar{w: w, unit: unit, stop: make(chan struct{}), finished: make(chan struct{})}
	p.total.Store(total)
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || total <= 0 {
		close(p.finished)
		return p
	}
	go func() {
		defer close(p.finished)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				p.draw()
				fmt.Fprintln(p.w)
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
	return p
}

func (p *progressBar) draw() {
	frac := float64(p.read.Load()) / float64(p.total.Load())
	const width = 30
	n := int(frac * width)
	fmt.Fprintf(p.w, "\r[%s>%s] %3.0f%% %d %s", strings.Repeat("=", min(n, width)), strings.Repeat(" ", max(width-n, 0)), 100*frac, p.feats.Load(), p.unit)
}

func (p *progressBar) features(n int) { p.feats.Store(int64(n)) }

func (p *progressBar) done() {
	select {
	case <-p.finished:
	default:
		close(p.stop)
		<-p.finished
	}
}

type progressReader struct {
	r   io.Reader
	bar *progressBar
}

func (pr *progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	pr.bar.read.Add(int64(n))
	return n, err
}
