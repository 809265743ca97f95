// Command saltrotator is the Secrets Manager rotation function of the HMAC
// salt (runtime provided.al2023, arm64). The logic is in package rotator.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/phase-mirror/fp-calibration-infra/lambda/saltrotator/rotator"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatalf("load AWS configuration: %v", err)
	}
	r := &rotator.Rotator{Client: secretsmanager.NewFromConfig(cfg)}
	lambda.Start(func(ctx context.Context, ev rotator.Event) error {
		err := r.Handle(ctx, ev)
		if err != nil {
			log.Printf("rotation step %s of %s (version %s) failed: %v", ev.Step, ev.SecretID, ev.ClientRequestToken, err)
		} else {
			log.Printf("rotation step %s of %s (version %s) done", ev.Step, ev.SecretID, ev.ClientRequestToken)
		}
		return err
	})
}
