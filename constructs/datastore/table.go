// Package datastore holds the service's DynamoDB tables and the SSM redaction
// nonce parameter, with the exact names, keys and indexes the application uses.
package datastore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dynamodbtable"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/constructs/cmk"
	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
	"github.com/phase-mirror/fp-calibration-infra/constructs/policy"
)

// Attribute is a key attribute; Type is "S", "N" or "B".
type Attribute struct {
	Name string
	Type string
}

// Index is a global secondary index, projecting all attributes.
type Index struct {
	Name         string
	PartitionKey Attribute
}

// TableProps configures an on-demand, CMK-encrypted table with PITR.
type TableProps struct {
	Name         string
	PartitionKey Attribute
	SortKey      *Attribute
	Indexes      []Index
	TTLAttribute string
	Key          *cmk.Key
	// WithoutDeletionProtection turns DynamoDB deletion protection off
	// (default: on). The caller records why with Table.Suppress.
	WithoutDeletionProtection bool
	// Destroyable leaves lifecycle.prevent_destroy off (default: on).
	Destroyable bool
}

// Table is one DynamoDB table.
type Table struct {
	constructs.Construct
	props TableProps
	table dynamodbtable.DynamodbTable
}

// NewTable creates the table. Encryption with Key and point-in-time recovery
// are always on: they are not options.
func NewTable(scope constructs.Construct, id string, props TableProps) (*Table, error) {
	switch {
	case props.Name == "":
		return nil, errors.New("datastore.TableProps.Name is required")
	case props.PartitionKey.Name == "" || props.PartitionKey.Type == "":
		return nil, fmt.Errorf("datastore.TableProps.PartitionKey of %s is required", props.Name)
	case props.Key == nil:
		return nil, fmt.Errorf("datastore.TableProps.Key of %s is required: tables are encrypted with the customer-managed key", props.Name)
	}
	t := &Table{props: props}
	constructs.NewConstruct_Override(t, scope, jsii.String(id))

	attrs := []Attribute{props.PartitionKey}
	addAttr := func(a Attribute) {
		for _, have := range attrs {
			if have.Name == a.Name {
				return
			}
		}
		attrs = append(attrs, a)
	}
	cfg := &dynamodbtable.DynamodbTableConfig{
		Name:                      jsii.String(props.Name),
		BillingMode:               jsii.String("PAY_PER_REQUEST"),
		HashKey:                   jsii.String(props.PartitionKey.Name),
		DeletionProtectionEnabled: jsii.Bool(!props.WithoutDeletionProtection),
		PointInTimeRecovery:       &dynamodbtable.DynamodbTablePointInTimeRecovery{Enabled: jsii.Bool(true)},
		ServerSideEncryption: &dynamodbtable.DynamodbTableServerSideEncryption{
			Enabled: jsii.Bool(true), KmsKeyArn: props.Key.Arn(),
		},
	}
	if props.SortKey != nil {
		cfg.RangeKey = jsii.String(props.SortKey.Name)
		addAttr(*props.SortKey)
	}
	if len(props.Indexes) > 0 {
		gsis := make([]*dynamodbtable.DynamodbTableGlobalSecondaryIndex, 0, len(props.Indexes))
		for _, ix := range props.Indexes {
			addAttr(ix.PartitionKey)
			gsis = append(gsis, &dynamodbtable.DynamodbTableGlobalSecondaryIndex{
				Name: jsii.String(ix.Name), HashKey: jsii.String(ix.PartitionKey.Name), ProjectionType: jsii.String("ALL"),
			})
		}
		cfg.GlobalSecondaryIndex = &gsis
	}
	if props.TTLAttribute != "" {
		cfg.Ttl = &dynamodbtable.DynamodbTableTtl{AttributeName: jsii.String(props.TTLAttribute), Enabled: jsii.Bool(true)}
	}
	defs := make([]*dynamodbtable.DynamodbTableAttribute, 0, len(attrs))
	for _, a := range attrs {
		defs = append(defs, &dynamodbtable.DynamodbTableAttribute{Name: jsii.String(a.Name), Type: jsii.String(a.Type)})
	}
	cfg.Attribute = &defs
	if !props.Destroyable {
		cfg.Lifecycle = &cdktf.TerraformResourceLifecycle{PreventDestroy: jsii.Bool(true)}
	}
	t.table = dynamodbtable.NewDynamodbTable(t, jsii.String("table"), cfg)
	return t, nil
}

// Suppress records, on the table, that a synthesis rule does not apply to it and why.
func (t *Table) Suppress(rule policy.Rule, reason string) {
	policy.Suppress(t.table, rule.Name, reason)
}

// Name is the table's physical name (known at synthesis).
func (t *Table) Name() string { return t.props.Name }

// Arn is the table's ARN.
func (t *Table) Arn() *string { return t.table.Arn() }

// Dependable is the table resource, for depends_on.
func (t *Table) Dependable() cdktf.ITerraformDependable { return t.table }

// Indexes are the table's global secondary indexes.
func (t *Table) Indexes() []Index { return append([]Index(nil), t.props.Indexes...) }

// IndexArn is the ARN of one of the table's indexes.
func (t *Table) IndexArn(index string) (string, error) {
	for _, ix := range t.props.Indexes {
		if ix.Name == index {
			return *t.Arn() + "/index/" + index, nil
		}
	}
	return "", fmt.Errorf("table %s has no index %q", t.props.Name, index)
}

// DynamoDB data-plane actions the grants give.
const (
	GetItem = "dynamodb:GetItem"
	Query   = "dynamodb:Query"
	Scan    = "dynamodb:Scan"
	PutItem = "dynamodb:PutItem"
)

// DataActions are every data-plane action a grant of this package can give.
var DataActions = []string{GetItem, PutItem, Query, Scan}

// GrantReadData lets grantee read items of the table by key (GetItem, Query).
func (t *Table) GrantReadData(g iamdoc.Grantee) {
	t.grant(g, "Reads"+t.title(), []string{GetItem, Query}, *t.Arn())
}

// GrantWriteData lets grantee add items to the table (PutItem): never update
// or delete them.
func (t *Table) GrantWriteData(g iamdoc.Grantee) {
	t.grant(g, "Writes"+t.title(), []string{PutItem}, *t.Arn())
}

// GrantQueryIndex lets grantee query and scan the table and one of its
// indexes, and no other index.
func (t *Table) GrantQueryIndex(g iamdoc.Grantee, index string) error {
	arn, err := t.IndexArn(index)
	if err != nil {
		return err
	}
	t.grant(g, "Queries"+t.title()+camel(index), []string{Query, Scan}, *t.Arn(), arn)
	return nil
}

// grant gives grantee the actions on resources, plus kms:Decrypt of the
// table's key through DynamoDB, whatever the actions: DynamoDB decrypts the
// table key on behalf of the caller who accesses the table (reads and writes
// alike), while the data keys it generates are made by the DynamoDB service
// itself under the grant it created with the table (AWS KMS Developer Guide,
// "How Amazon DynamoDB uses AWS KMS", Decrypt and GenerateDataKey events).
func (t *Table) grant(g iamdoc.Grantee, what string, actions []string, resources ...string) {
	g.AddToPrincipalPolicy(iamdoc.Statement{Sid: g.GranteeName() + what, Actions: actions, Resources: resources})
	t.props.Key.Grant(g, cmk.DecryptActions, "dynamodb")
}

// title is the table's construct id in CamelCase ("fp_events" -> "FpEvents"), for statement ids.
func (t *Table) title() string { return camel(*t.Node().Id()) }

func camel(s string) string {
	out := ""
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == '_' || r == '-' }) {
		out += strings.ToUpper(w[:1]) + w[1:]
	}
	return out
}
