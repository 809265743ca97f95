package dashboard

import (
	"encoding/json"
	"strings"
	"testing"
)

func metricWidget(title string) MetricProperties {
	return MetricProperties{Title: title, Region: "us-east-1", View: "timeSeries", Period: 300, Stat: "Sum",
		Metrics: []Metric{{Namespace: "AWS/Lambda", Name: "Errors", Dimensions: [][2]string{{"FunctionName", "f"}}, Stat: "Sum", Label: "errors"}}}
}

func TestLayoutWrapsRowsWithinTheGrid(t *testing.T) {
	var b Builder
	b.Add("metric", 12, 6, metricWidget("a")).Add("metric", 12, 6, metricWidget("b")).Add("metric", 8, 4, metricWidget("c")).Add("text", 24, 2, TextProperties{Markdown: "x"})
	w := b.Widgets()
	want := [][2]int{{0, 0}, {12, 0}, {0, 6}, {0, 10}}
	for i, p := range want {
		if w[i].X != p[0] || w[i].Y != p[1] {
			t.Errorf("widget %d at %d,%d, want %d,%d", i, w[i].X, w[i].Y, p[0], p[1])
		}
		if w[i].X+w[i].Width > GridWidth {
			t.Errorf("widget %d exceeds the grid", i)
		}
	}
	if _, err := b.Body(); err != nil {
		t.Fatal(err)
	}
}

func TestMetricMarshalsToTheCloudWatchArrayForm(t *testing.T) {
	out, err := json.Marshal(Metric{Namespace: "AWS/DynamoDB", Name: "ReadThrottleEvents", Dimensions: [][2]string{{"TableName", "t"}}, Stat: "Sum"})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `["AWS/DynamoDB","ReadThrottleEvents","TableName","t",{"stat":"Sum"}]` {
		t.Errorf("got %s", out)
	}
}

func TestBodyIsValidJSONWithWidgets(t *testing.T) {
	var b Builder
	b.Add("alarm", 24, 3, AlarmProperties{Title: "alarms", Alarms: []string{"arn:aws:cloudwatch:us-east-1:111111111111:alarm:a"}})
	b.Add("log", 24, 6, LogProperties{Title: "errors", Region: "us-east-1", Query: "SOURCE '/aws/lambda/f' | fields @message", View: "table"})
	body, err := b.Body()
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Widgets []map[string]any `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body), &parsed); err != nil || len(parsed.Widgets) != 2 {
		t.Fatalf("body %s: %v", body, err)
	}
	if parsed.Widgets[1]["type"] != "log" || !strings.Contains(body, `"query":"SOURCE '/aws/lambda/f' | fields @message"`) {
		t.Errorf("log widget not rendered: %s", body)
	}
}

func TestValidateRejectsBadWidgets(t *testing.T) {
	cases := map[string][]Widget{
		"empty":            nil,
		"too wide":         {{Type: "metric", X: 20, Width: 6, Height: 6, Properties: metricWidget("a")}},
		"zero size":        {{Type: "metric", Width: 0, Height: 6, Properties: metricWidget("a")}},
		"overlap":          {{Type: "metric", Width: 12, Height: 6, Properties: metricWidget("a")}, {Type: "metric", X: 6, Width: 12, Height: 6, Properties: metricWidget("b")}},
		"metric no region": {{Type: "metric", Width: 6, Height: 6, Properties: MetricProperties{Title: "t", Metrics: []Metric{{Namespace: "n", Name: "m"}}}}},
		"metric no name":   {{Type: "metric", Width: 6, Height: 6, Properties: MetricProperties{Title: "t", Region: "r", Metrics: []Metric{{Namespace: "n"}}}}},
		"alarm no alarms":  {{Type: "alarm", Width: 6, Height: 6, Properties: AlarmProperties{Title: "t"}}},
		"log no query":     {{Type: "log", Width: 6, Height: 6, Properties: LogProperties{Region: "r"}}},
		"unknown props":    {{Type: "x", Width: 6, Height: 6, Properties: map[string]string{}}},
	}
	for name, widgets := range cases {
		if err := Validate(widgets); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
