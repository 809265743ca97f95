// Package dashboard is a typed builder for CloudWatch dashboard bodies:
// widgets are Go structs marshalled with encoding/json (no string templates),
// laid out left to right in rows 24 units wide, and validated before use.
package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
)

// GridWidth is the width of a CloudWatch dashboard grid.
const GridWidth = 24

// Widget is one dashboard widget.
type Widget struct {
	Type       string `json:"type"`
	X          int    `json:"x"`
	Y          int    `json:"y"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	Properties any    `json:"properties"`
}

// Metric is one line of a metric widget.
type Metric struct {
	Namespace  string
	Name       string
	Dimensions [][2]string // ordered name/value pairs
	Stat       string
	Label      string
}

// MarshalJSON renders the CloudWatch array form: [ns, name, dim, value, ..., {options}].
func (m Metric) MarshalJSON() ([]byte, error) {
	row := []any{m.Namespace, m.Name}
	for _, d := range m.Dimensions {
		row = append(row, d[0], d[1])
	}
	opts := map[string]string{}
	if m.Stat != "" {
		opts["stat"] = m.Stat
	}
	if m.Label != "" {
		opts["label"] = m.Label
	}
	row = append(row, opts)
	return json.Marshal(row)
}

// MetricProperties are the properties of a "metric" widget.
type MetricProperties struct {
	Title       string            `json:"title"`
	Region      string            `json:"region"`
	View        string            `json:"view"`
	Stacked     bool              `json:"stacked"`
	Period      int               `json:"period"`
	Stat        string            `json:"stat"`
	Metrics     []Metric          `json:"metrics"`
	Annotations *HorizontalMarker `json:"annotations,omitempty"`
}

// HorizontalMarker draws threshold lines.
type HorizontalMarker struct {
	Horizontal []Marker `json:"horizontal"`
}

// Marker is one threshold line.
type Marker struct {
	Label string  `json:"label"`
	Value float64 `json:"value"`
}

// AlarmProperties are the properties of an "alarm" (status) widget.
type AlarmProperties struct {
	Title  string   `json:"title"`
	Alarms []string `json:"alarms"`
}

// LogProperties are the properties of a "log" (Logs Insights) widget.
type LogProperties struct {
	Title  string `json:"title"`
	Region string `json:"region"`
	Query  string `json:"query"`
	View   string `json:"view"`
}

// TextProperties are the properties of a "text" widget.
type TextProperties struct {
	Markdown string `json:"markdown"`
}

// Builder lays widgets out in rows.
type Builder struct {
	widgets []Widget
	x, y    int
	rowH    int
}

// Add places a widget of the given size after the previous one, starting a
// new row when it would not fit.
func (b *Builder) Add(typ string, width, height int, props any) *Builder {
	if b.x+width > GridWidth {
		b.x, b.y, b.rowH = 0, b.y+b.rowH, 0
	}
	b.widgets = append(b.widgets, Widget{Type: typ, X: b.x, Y: b.y, Width: width, Height: height, Properties: props})
	b.x += width
	if height > b.rowH {
		b.rowH = height
	}
	return b
}

// Widgets returns the laid-out widgets.
func (b *Builder) Widgets() []Widget { return append([]Widget(nil), b.widgets...) }

// Body validates the layout and returns the dashboard body JSON.
func (b *Builder) Body() (string, error) {
	if err := Validate(b.widgets); err != nil {
		return "", err
	}
	out, err := json.Marshal(struct {
		Widgets []Widget `json:"widgets"`
	}{b.widgets})
	return string(out), err
}

// Validate checks every widget's size, position and properties, and that no
// two widgets overlap.
func Validate(widgets []Widget) error {
	if len(widgets) == 0 {
		return errors.New("dashboard has no widgets")
	}
	for i, w := range widgets {
		where := fmt.Sprintf("widget %d (%s)", i, w.Type)
		switch {
		case w.Width < 1 || w.Height < 1:
			return fmt.Errorf("%s: size %dx%d", where, w.Width, w.Height)
		case w.X < 0 || w.Y < 0 || w.X+w.Width > GridWidth:
			return fmt.Errorf("%s: x %d + width %d exceeds the grid of %d", where, w.X, w.Width, GridWidth)
		}
		switch p := w.Properties.(type) {
		case MetricProperties:
			if p.Region == "" || len(p.Metrics) == 0 || p.Title == "" {
				return fmt.Errorf("%s: a metric widget needs a title, a region and metrics", where)
			}
			for _, m := range p.Metrics {
				if m.Namespace == "" || m.Name == "" {
					return fmt.Errorf("%s: metric without namespace or name", where)
				}
			}
		case AlarmProperties:
			if len(p.Alarms) == 0 {
				return fmt.Errorf("%s: an alarm widget needs alarms", where)
			}
		case LogProperties:
			if p.Query == "" || p.Region == "" {
				return fmt.Errorf("%s: a log widget needs a query and a region", where)
			}
		case TextProperties:
			if p.Markdown == "" {
				return fmt.Errorf("%s: empty text", where)
			}
		default:
			return fmt.Errorf("%s: unknown properties %T", where, w.Properties)
		}
		for j := 0; j < i; j++ {
			o := widgets[j]
			if w.X < o.X+o.Width && o.X < w.X+w.Width && w.Y < o.Y+o.Height && o.Y < w.Y+w.Height {
				return fmt.Errorf("%s overlaps widget %d", where, j)
			}
		}
	}
	return nil
}
