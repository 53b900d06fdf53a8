package einsatzraum

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the domain's Prometheus collectors. A nil *Metrics records
// nothing, so tests need not build one.
type Metrics struct {
	storeSeconds *prometheus.HistogramVec
	storeErrors  *prometheus.CounterVec
}

// NewMetrics creates the domain's collectors and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		storeSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "einsatzraum_store_seconds",
			Help:    "Latency of store transactions by operation.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"op"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "einsatzraum_store_errors_total",
			Help: "Store transactions that failed with an internal error, by operation.",
		}, []string{"op"}),
	}
	reg.MustRegister(m.storeSeconds, m.storeErrors)
	return m
}

func (m *Metrics) observeStore(op string, start time.Time, err error) {
	if m == nil {
		return
	}
	m.storeSeconds.WithLabelValues(op).Observe(time.Since(start).Seconds())
	if err != nil && KindOf(err) == KindInternal {
		m.storeErrors.WithLabelValues(op).Inc()
	}
}
