// expfmt_dump reads a Prometheus text-format exposition (0.0.4) from the file named by its
// argument with the Prometheus project's own parser (github.com/prometheus/common/expfmt,
// Debian's golang-github-prometheus-common-dev) and prints what it understood, one line
// each, families sorted by name:
//
//	TYPE <family> <counter|gauge|histogram|summary|untyped>
//	<sample name>{<label>="<value>",...} <value>
//
// Labels are sorted by name, values are Go-quoted, numbers use strconv's shortest form.
// Histograms print _bucket (with le), _sum and _count; summaries their quantiles, _sum and
// _count. A parse error exits 1 with the parser's message.
package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: expfmt_dump FILE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer f.Close()
	var parser expfmt.TextParser
	families, err := parser.TextToMetricFamilies(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "parse error:", err)
		os.Exit(1)
	}
	names := make([]string, 0, len(families))
	for name := range families {
		names = append(names, name)
	}
	sort.Strings(names)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for _, name := range names {
		mf := families[name]
		fmt.Fprintf(out, "TYPE %s %s\n", name, strings.ToLower(mf.GetType().String()))
		for _, m := range mf.GetMetric() {
			labels := m.GetLabel()
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				sample(out, name, labels, "", "", m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				sample(out, name, labels, "", "", m.GetGauge().GetValue())
			case dto.MetricType_UNTYPED:
				sample(out, name, labels, "", "", m.GetUntyped().GetValue())
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				for _, b := range h.GetBucket() {
					sample(out, name+"_bucket", labels, "le", number(b.GetUpperBound()), float64(b.GetCumulativeCount()))
				}
				sample(out, name+"_sum", labels, "", "", h.GetSampleSum())
				sample(out, name+"_count", labels, "", "", float64(h.GetSampleCount()))
			case dto.MetricType_SUMMARY:
				s := m.GetSummary()
				for _, q := range s.GetQuantile() {
					sample(out, name, labels, "quantile", number(q.GetQuantile()), q.GetValue())
				}
				sample(out, name+"_sum", labels, "", "", s.GetSampleSum())
				sample(out, name+"_count", labels, "", "", float64(s.GetSampleCount()))
			}
		}
	}
}

func sample(out *bufio.Writer, name string, labels []*dto.LabelPair, extraName, extraValue string, value float64) {
	pairs := make([]string, 0, len(labels)+1)
	for _, l := range labels {
		pairs = append(pairs, l.GetName()+"="+strconv.Quote(l.GetValue()))
	}
	if extraName != "" {
		pairs = append(pairs, extraName+"="+strconv.Quote(extraValue))
	}
	sort.Strings(pairs)
	fmt.Fprintf(out, "%s{%s} %s\n", name, strings.Join(pairs, ","), number(value))
}

func number(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	if math.IsInf(v, -1) {
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
