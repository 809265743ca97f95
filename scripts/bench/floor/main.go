// Command floor is the benchmark's baseline: a one-stack CDKTF app with a
// single AWS resource. Synthesizing it costs what every synthesis pays (Node,
// jsii and the AWS provider bindings loading, and closing the runtime, which
// removes its folder, as the real app does); scripts/bench.sh compares the
// real app against it.
package main

import (
	"os"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/provider"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/sqsqueue"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/internal/jsiirt"
)

func main() {
	app := cdktf.NewApp(&cdktf.AppConfig{Outdir: jsii.String(os.Args[1])})
	stack := cdktf.NewTerraformStack(app, jsii.String("floor"))
	provider.NewAwsProvider(stack, jsii.String("aws"), &provider.AwsProviderConfig{Region: jsii.String("us-east-1")})
	sqsqueue.NewSqsQueue(stack, jsii.String("queue"), &sqsqueue.SqsQueueConfig{Name: jsii.String("floor")})
	app.Synth()
	jsiirt.Close()
}
