package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluice-gitops/sluice/serve"
)

// adminClient talks to a running server's admin API.
type adminClient struct {
	server    string
	tokenFile string
}

// defaultServer is the admin API's URL when neither --server nor
// $SLUICE_SERVER says otherwise.
const defaultServer = "http://127.0.0.1:19000"

func (c *adminClient) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&c.server, "server", envOr("SLUICE_SERVER", defaultServer), "URL of sluice's admin API ($SLUICE_SERVER)")
	cmd.Flags().StringVar(&c.tokenFile, "token-file", os.Getenv("SLUICE_TOKEN_FILE"), "file holding the admin bearer token ($SLUICE_TOKEN_FILE; else the token itself in $SLUICE_TOKEN)")
}

// envOr returns the environment variable name, or def when it is unset or
// empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func (c *adminClient) token() (string, error) {
	if c.tokenFile == "" {
		return strings.TrimSpace(os.Getenv("SLUICE_TOKEN")), nil
	}
	b, err := os.ReadFile(c.tokenFile)
	if err != nil {
		return "", fmt.Errorf("read token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// get fetches path and decodes the JSON answer into v.
func (c *adminClient) get(path string, v any) error {
	return c.do(http.MethodGet, path, nil, v)
}

// do calls the admin API with a JSON body (nil for none) and decodes the
// JSON answer into v (nil to ignore it). An error answer becomes an error
// holding the API's message.
func (c *adminClient) do(method, path string, body, v any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(c.server, "/")+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok, err := c.token(); err != nil {
		return err
	} else if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	// A rollback may translate an old revision: allow it time.
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	if err != nil {
		return fmt.Errorf("admin API: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var apiErr serve.APIError
		json.NewDecoder(resp.Body).Decode(&apiErr)
		return fmt.Errorf("admin API %s %s: %s: %s", method, path, resp.Status, apiErr.Message)
	}
	if v == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
