package vaulttest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/vault/api"
)

// A Cluster is N real `vault server` processes with integrated storage
// (raft) on loopback, as Vault runs in production: one active node, the
// others standbys that forward every request to it. It is initialised
// with one key share, every node is unsealed and a raft voter, and the
// fixtures of Start are set up. A load balancer (LB) in front of all
// nodes gives one stable address.
//
// Nodes can be killed (SIGKILL, as a crash or a lost machine) and
// restarted (they keep their raft data, come back sealed and are
// unsealed again). The processes live until the T given to StartCluster
// cleans up, whichever test killed or restarted them: a cluster can be
// shared by the tests of a package (see Background), which then must not
// run in parallel with the tests that kill nodes.
type Cluster struct {
	Nodes     []*Node
	LB        *LB
	RootToken string

	unsealKey string
	bin       string
	home      string // HOME of the server processes
	emptyCfg  string // VAULT_CONFIG_PATH of the server processes: an empty file
	server    *Server
}

// Node is one server of a Cluster.
type Node struct {
	ID   string // node1, node2...
	Addr string // http://127.0.0.1:PORT

	port, clusterPort int
	dataDir, config   string
	log               *syncBuffer

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
}

// clusterTimeout bounds each wait of the harness: a start, a restart, an
// election. A cluster of 3 starts in about 30s on 2 busy cores.
const clusterTimeout = 3 * time.Minute

// StartCluster starts n nodes, initialises and unseals them, waits until
// each is a voter, sets up the fixtures and starts the load balancer.
// Everything stops when t cleans up.
func StartCluster(t T, n int) *Cluster {
	t.Helper()
	if skipShort(t) {
		return nil
	}
	if n < 1 {
		t.Fatalf("StartCluster: %d nodes", n)
	}
	dir := t.TempDir()
	c := &Cluster{bin: Bin(t), home: filepath.Join(dir, "home"), emptyCfg: filepath.Join(dir, "empty.hcl")}
	if err := os.MkdirAll(c.home, 0o700); err != nil {
		t.Fatal(err)
	}
	// A server started with a VAULT_CONFIG_PATH (or ~/.vault) that names a
	// token helper would hand that helper tokens: give it an empty one.
	if err := os.WriteFile(c.emptyCfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.close(t) })
	for i := 1; i <= n; i++ {
		nd := &Node{ID: "node" + strconv.Itoa(i), dataDir: filepath.Join(dir, "node"+strconv.Itoa(i)), log: &syncBuffer{}}
		nd.config = nd.dataDir + ".hcl"
		if err := os.MkdirAll(nd.dataDir, 0o700); err != nil {
			t.Fatal(err)
		}
		c.Nodes = append(c.Nodes, nd)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()

	// Node 1 first: the others join it. Ports are taken on a busy machine,
	// so a node that cannot listen is started again on other ports.
	for _, nd := range c.Nodes {
		if err := c.firstStart(ctx, nd); err != nil {
			t.Fatalf("start vault cluster: %v", err)
		}
	}
	first := c.Nodes[0]
	init, err := rawClient(first.Addr, "").Sys().InitWithContext(ctx, &api.InitRequest{SecretShares: 1, SecretThreshold: 1})
	if err != nil {
		t.Fatalf("vault cluster: init %s: %v\n%s", first.ID, err, first.log.Tail(30))
	}
	c.RootToken, c.unsealKey = init.RootToken, init.Keys[0]
	if err := c.unseal(ctx, first); err != nil {
		t.Fatalf("vault cluster: %v", err)
	}
	if _, err := c.waitActive(ctx); err != nil {
		t.Fatalf("vault cluster: %v", err)
	}
	// Autopilot promotes a node to voter once it was healthy this long
	// (10s by default): shorter makes the start faster.
	if _, err := rawClient(first.Addr, c.RootToken).Logical().WriteWithContext(ctx, "sys/storage/raft/autopilot/configuration",
		map[string]any{"server_stabilization_time": "3s"}); err != nil {
		t.Fatalf("vault cluster: autopilot configuration: %v", err)
	}
	for _, nd := range c.Nodes[1:] {
		if err := c.unseal(ctx, nd); err != nil {
			t.Fatalf("vault cluster: %v", err)
		}
	}
	if err := c.waitVoters(ctx); err != nil {
		t.Fatalf("vault cluster: %v", err)
	}
	if err := c.waitReady(ctx, c.Nodes...); err != nil {
		t.Fatalf("vault cluster: %v", err)
	}
	addrs := make([]string, len(c.Nodes))
	for i, nd := range c.Nodes {
		addrs[i] = nd.Addr
	}
	c.LB = StartLB(t, addrs...)
	c.server = &Server{Addr: c.LB.Addr, RootToken: c.RootToken, bin: c.bin, log: &syncBuffer{}, stopped: true}
	c.server.setup(t)
	return c
}

// Server is the cluster behind its load balancer as a Server: Root,
// Tokens, Login, EnableOIDC and NewHome work as with a dev server. The
// value is the same on every call.
func (c *Cluster) Server() *Server { return c.server }

// NodeServer is one node as a Server (its Addr is the node's), for
// NewHome, StartProxy or a client that must reach exactly that node.
func (c *Cluster) NodeServer(nd *Node) *Server {
	return &Server{Addr: nd.Addr, RootToken: c.RootToken, bin: c.bin, log: nd.log, stopped: true}
}

// Log returns the node's log so far.
func (nd *Node) Log() string { return nd.log.String() }

// Running reports whether the node's process is running.
func (nd *Node) Running() bool {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.cmd == nil {
		return false
	}
	select {
	case <-nd.exited:
		return false
	default:
		return true
	}
}

const nodeConfig = `ui            = false
disable_mlock = true
api_addr      = "http://127.0.0.1:%[1]d"
cluster_addr  = "https://127.0.0.1:%[2]d"
log_level     = "info"

storage "raft" {
  path    = %[3]q
  node_id = %[4]q
%[5]s}

listener "tcp" {
  address         = "127.0.0.1:%[1]d"
  cluster_address = "127.0.0.1:%[2]d"
  tls_disable     = true
}
`

// firstStart picks ports for nd, writes its configuration and starts it
// until it listens. Every node but the first joins the first.
func (c *Cluster) firstStart(ctx context.Context, nd *Node) error {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		p1, err := FreePort()
		if err != nil {
			return err
		}
		p2, err := FreePort()
		if err != nil {
			return err
		}
		if p1 == p2 {
			continue
		}
		nd.port, nd.clusterPort = p1, p2
		nd.Addr = "http://127.0.0.1:" + strconv.Itoa(p1)
		join := ""
		if nd != c.Nodes[0] {
			join = fmt.Sprintf("  retry_join {\n    leader_api_addr = %q\n  }\n", c.Nodes[0].Addr)
		}
		cfg := fmt.Sprintf(nodeConfig, nd.port, nd.clusterPort, nd.dataDir, nd.ID, join)
		if err := os.WriteFile(nd.config, []byte(cfg), 0o600); err != nil {
			return err
		}
		if lastErr = c.spawn(ctx, nd); lastErr == nil {
			return nil
		}
	}
	return lastErr
}

// spawn starts nd's process and waits until it answers sys/health
// (sealed or not).
func (c *Cluster) spawn(ctx context.Context, nd *Node) error {
	cmd := exec.Command(c.bin, "server", "-config="+nd.config)
	cmd.Env = []string{"HOME=" + c.home, "PATH=/usr/bin:/bin", "VAULT_CONFIG_PATH=" + c.emptyCfg}
	cmd.Stdout, cmd.Stderr = nd.log, nd.log
	cmd.SysProcAttr = serverProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", nd.ID, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	nd.mu.Lock()
	nd.cmd, nd.exited = cmd, exited
	nd.mu.Unlock()
	for {
		select {
		case <-exited:
			return fmt.Errorf("%s exited at start:\n%s", nd.ID, nd.log.Tail(20))
		case <-ctx.Done():
			return fmt.Errorf("%s does not answer at %s: %w\n%s", nd.ID, nd.Addr, ctx.Err(), nd.log.Tail(20))
		case <-time.After(100 * time.Millisecond):
		}
		if code, _ := nd.health(ctx); code != 0 {
			return nil
		}
	}
}

// health is the HTTP status of the node's sys/health: 200 active, 429
// standby, 503 sealed, 501 not initialised, 0 no answer; and the body.
func (nd *Node) health(ctx context.Context) (int, map[string]any) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, nd.Addr+"/v1/sys/health", nil)
	if err != nil {
		return 0, nil
	}
	resp, err := healthClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

var healthClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// rawClient is an API client for one address that never retries.
func rawClient(addr, token string) *api.Client {
	c, err := NewClient(addr, token)
	if err != nil {
		panic(err) // only a malformed address fails, and ours are not
	}
	c.SetClientTimeout(60 * time.Second) // init and the first unseal take long on a busy machine
	return c
}

// unseal gives nd the key until it says it is unsealed. A node that is
// still joining the cluster may take a few rounds.
func (c *Cluster) unseal(ctx context.Context, nd *Node) error {
	var last error
	for {
		st, err := rawClient(nd.Addr, "").Sys().UnsealWithContext(ctx, c.unsealKey)
		if err == nil && !st.Sealed {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("unseal %s: %w (last error: %v)\n%s", nd.ID, ctx.Err(), last, nd.log.Tail(20))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// waitVoters waits until the raft configuration lists every node as a
// voter: before that, losing the leader can lose the cluster.
func (c *Cluster) waitVoters(ctx context.Context) error {
	var last string
	for {
		voters, err := c.voters(ctx)
		if err == nil && len(voters) == len(c.Nodes) {
			return nil
		}
		last = fmt.Sprintf("voters %v, error %v", voters, err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("not every node became a raft voter: %s", last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// voters are the node ids the raft configuration lists as voters, asked
// of the active node.
func (c *Cluster) voters(ctx context.Context) ([]string, error) {
	nd, err := c.activeNow(ctx)
	if err != nil {
		return nil, err
	}
	sec, err := rawClient(nd.Addr, c.RootToken).Logical().ReadWithContext(ctx, "sys/storage/raft/configuration")
	if err != nil {
		return nil, err
	}
	if sec == nil {
		return nil, errors.New("empty raft configuration")
	}
	cfg, _ := sec.Data["config"].(map[string]any)
	servers, _ := cfg["servers"].([]any)
	var out []string
	for _, s := range servers {
		m, _ := s.(map[string]any)
		if v, _ := m["voter"].(bool); v {
			id, _ := m["node_id"].(string)
			out = append(out, id)
		}
	}
	return out, nil
}

// activeNow is the node that answers as active right now.
func (c *Cluster) activeNow(ctx context.Context) (*Node, error) {
	for _, nd := range c.Nodes {
		if !nd.Running() {
			continue
		}
		if code, _ := nd.health(ctx); code == http.StatusOK {
			return nd, nil
		}
	}
	return nil, errors.New("no node is active")
}

// waitActive waits until a node answers as active.
func (c *Cluster) waitActive(ctx context.Context) (*Node, error) {
	for {
		if nd, err := c.activeNow(ctx); err == nil {
			return nd, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no node became active: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitReady waits until there is an active node and each of nodes is
// unsealed and knows it (a standby must, to forward requests).
func (c *Cluster) waitReady(ctx context.Context, nodes ...*Node) error {
	active, err := c.waitActive(ctx)
	if err != nil {
		return err
	}
	for _, nd := range nodes {
		for {
			code, _ := nd.health(ctx)
			if code == http.StatusOK {
				break
			}
			if code == http.StatusTooManyRequests {
				l, err := rawClient(nd.Addr, "").Sys().LeaderWithContext(ctx)
				if err == nil && l.LeaderAddress != "" && l.LeaderAddress != nd.Addr {
					break
				}
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s is not ready (health %d, active %s): %w\n%s", nd.ID, code, active.ID, ctx.Err(), nd.log.Tail(20))
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

// Active waits until a node answers as active and returns it.
func (c *Cluster) Active(t T) *Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	nd, err := c.waitActive(ctx)
	if err != nil {
		t.Fatalf("vault cluster: %v", err)
	}
	return nd
}

// Standby returns a running node that is not the active one, once the
// cluster is ready.
func (c *Cluster) Standby(t T) *Node {
	t.Helper()
	active := c.Active(t)
	for _, nd := range c.Nodes {
		if nd != active && nd.Running() {
			return nd
		}
	}
	t.Fatal("vault cluster: no standby node is running")
	return nil
}

// Kill kills nd's process with SIGKILL, as a crash or a lost machine
// would, and waits until it is gone.
func (c *Cluster) Kill(t T, nd *Node) {
	t.Helper()
	nd.mu.Lock()
	cmd, exited := nd.cmd, nd.exited
	nd.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("vault cluster: %s did not exit after SIGKILL", nd.ID)
	}
}

// Restart starts a killed node again with its raft data, unseals it and
// waits until it is a ready member of the cluster (which needs a quorum:
// with two of three nodes down, restart both with RestartAll).
func (c *Cluster) Restart(t T, nd *Node) {
	t.Helper()
	c.RestartAll(t, nd)
}

// RestartAll starts the given killed nodes again, unseals them and waits
// until each is ready.
func (c *Cluster) RestartAll(t T, nodes ...*Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	for _, nd := range nodes {
		if nd.Running() {
			t.Fatalf("vault cluster: restart %s: it is running", nd.ID)
		}
		if err := c.spawn(ctx, nd); err != nil {
			t.Fatalf("vault cluster: restart: %v", err)
		}
	}
	for _, nd := range nodes {
		if err := c.unseal(ctx, nd); err != nil {
			t.Fatalf("vault cluster: restart: %v", err)
		}
	}
	if err := c.waitReady(ctx, c.running()...); err != nil {
		t.Fatalf("vault cluster: restart: %v", err)
	}
}

// Heal restarts every node that is not running and waits until the
// whole cluster is ready: what a test that killed nodes does last, so
// that the next test finds all of them.
func (c *Cluster) Heal(t T) {
	t.Helper()
	var down []*Node
	for _, nd := range c.Nodes {
		if !nd.Running() {
			down = append(down, nd)
		}
	}
	if len(down) > 0 {
		c.RestartAll(t, down...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if err := c.waitReady(ctx, c.Nodes...); err != nil {
		t.Fatalf("vault cluster: %v", err)
	}
}

func (c *Cluster) running() []*Node {
	var out []*Node
	for _, nd := range c.Nodes {
		if nd.Running() {
			out = append(out, nd)
		}
	}
	return out
}

// close stops every node (SIGTERM, then SIGKILL) and prints the tails of
// their logs when t failed.
func (c *Cluster) close(t T) {
	for _, nd := range c.Nodes {
		nd.mu.Lock()
		cmd, exited := nd.cmd, nd.exited
		nd.mu.Unlock()
		if cmd == nil || cmd.Process == nil {
			continue
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}
	if t.Failed() {
		for _, nd := range c.Nodes {
			t.Logf("vault cluster %s (%s) log (tail):\n%s", nd.ID, nd.Addr, nd.log.Tail(25))
		}
	}
}
