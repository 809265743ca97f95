package drill

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// motoServer is the drill's one moto_server, on a free loopback port,
// serving TLS with a certificate made for it (the state bucket accepts TLS
// only, and the SDKs and Terraform trust the certificate through
// AWS_CA_BUNDLE). It serves every account of the drill: each account's
// proxies name theirs in the x-moto-account-id header, which moto reads when
// MOTO_ACCOUNT_ID is not set (one Python process of about 220 MiB instead of
// one per account).
type motoServer struct {
	cmd      *exec.Cmd
	URL      string // https://127.0.0.1:<port>
	CABundle string // PEM of the server's certificate
	KeyFile  string // its private key
	log      string
}

// emulator is one account of the drill on the moto server: its proxies add
// the account's header. Endpoint is the bare one (the emulator as moto
// answers, for the probes and the tests' own SDK and CLI calls); the shells'
// and the recorders' proxies also answer what moto lacks (fakes).
type emulator struct {
	moto      *motoServer
	accountID string
	Endpoint  string // the bare proxy's https://127.0.0.1:<port>
	CABundle  string // PEM of the certificate of moto and of every proxy
	KeyFile   string
	bare      *recorder
	fakes     *fakes    // what moto lacks, answered by every proxy in front of this emulator
	service   *recorder // the proxy AWS's own calls go through (the rotation fake's)
}

// startMoto starts moto_server in dir and waits until it answers.
func startMoto(dir string) (*motoServer, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto_server is not on PATH (moto 5.2.1 is part of the machine image): %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	certFile, keyFile := filepath.Join(dir, "emulator.crt"), filepath.Join(dir, "emulator.key")
	if err := writeCertificate(certFile, keyFile); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	m := &motoServer{URL: fmt.Sprintf("https://127.0.0.1:%d", port), CABundle: certFile, KeyFile: keyFile, log: filepath.Join(dir, "emulator.log")}
	logFile, err := os.Create(m.log)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	m.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port), "-c", certFile, "-k", keyFile)
	// No MOTO_ACCOUNT_ID: it would win over the accounts' header.
	m.cmd.Env = withoutPrefixes(os.Environ(), "AWS_", "MOTO_") // not another emulator's settings
	m.cmd.Stdout, m.cmd.Stderr = logFile, logFile
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // stopped with its children
	if err := m.cmd.Start(); err != nil {
		return nil, err
	}
	if err := m.waitReady(30 * time.Second); err != nil {
		m.Stop()
		return nil, err
	}
	return m, nil
}

// startEmulator is the account on m, with its proxies started.
func startEmulator(m *motoServer, account string) (*emulator, error) {
	e := &emulator{moto: m, accountID: account, CABundle: m.CABundle, KeyFile: m.KeyFile, fakes: newFakes()}
	var err error
	if e.bare, err = startProxy(e, false, false); err != nil {
		return nil, err
	}
	e.Endpoint = e.bare.Endpoint
	if e.service, err = startRecorder(e, false); err != nil {
		e.Stop()
		return nil, err
	}
	e.fakes.rotation.backend = e.account
	return e, nil
}

// account is the emulator's account in region as AWS itself reaches it:
// through the service proxy (so it sees the fakes, and is never recorded).
func (e *emulator) account(region string) rotationBackend {
	ca, err := os.ReadFile(e.CABundle)
	if err != nil {
		return failingBackend{err}
	}
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion(region),
		awsconfig.WithBaseEndpoint(e.service.Endpoint), awsconfig.WithCustomCABundle(bytes.NewReader(ca)),
		awsconfig.WithCredentialsProvider(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "drill", SecretAccessKey: "drill", Source: "drill"}, nil
		})))
	if err != nil {
		return failingBackend{err}
	}
	return accountBackend{cfg: cfg}
}

func (m *motoServer) waitReady(limit time.Duration) error {
	pem, err := os.ReadFile(m.CABundle)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := client.Get(m.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	log, _ := os.ReadFile(m.log)
	return fmt.Errorf("the emulator did not answer at %s within %s:\n%s", m.URL, limit, log)
}

// Stop ends the account's proxies (the moto server serves on).
func (e *emulator) Stop() {
	for _, p := range []*recorder{e.service, e.bare} {
		if p != nil {
			p.Stop()
		}
	}
}

// Stop ends the moto server's process group.
func (m *motoServer) Stop() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = m.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// withoutAWS is env without any AWS_ variable (a developer's own profile or
// credentials must never reach the drill).
func withoutAWS(env []string) []string { return withoutPrefixes(env, "AWS_") }

// withoutPrefixes is env without the variables whose names start with one of
// prefixes.
func withoutPrefixes(env []string, prefixes ...string) []string {
	out := make([]string, 0, len(env))
next:
	for _, kv := range env {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// Env is what points Terraform, the AWS SDKs and the aws CLI at the emulator.
func (e *emulator) Env(region string) []string {
	return []string{
		"AWS_ENDPOINT_URL=" + e.Endpoint, "AWS_CA_BUNDLE=" + e.CABundle, "AWS_REGION=" + region, "AWS_DEFAULT_REGION=" + region,
		"AWS_ACCESS_KEY_ID=drill", "AWS_SECRET_ACCESS_KEY=drill", "AWS_EC2_METADATA_DISABLED=true",
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("not a TCP address")
	}
	return addr.Port, nil
}

// writeCertificate makes a self-signed certificate for 127.0.0.1.
func writeCertificate(certFile, keyFile string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
}

// TestWithoutPrefixes: moto and the drill's commands get the environment
// without another emulator's or a developer's AWS settings, and nothing else
// is dropped.
func TestWithoutPrefixes(t *testing.T) {
	got := withoutPrefixes([]string{"AWS_PROFILE=dev", "MOTO_PORT=1", "PATH=/bin", "XAWS_=kept", "HOME=/root"}, "AWS_", "MOTO_")
	if want := []string{"PATH=/bin", "XAWS_=kept", "HOME=/root"}; !slices.Equal(got, want) {
		t.Errorf("withoutPrefixes = %q, want %q", got, want)
	}
	if got := withoutAWS([]string{"AWS_ACCESS_KEY_ID=x", "MOTO_PORT=1"}); !slices.Equal(got, []string{"MOTO_PORT=1"}) {
		t.Errorf("withoutAWS = %q", got)
	}
}
