package ir

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Extensions are what an EnvoyExtensionPolicy runs on a route: external
// processors (ext_proc) and Wasm modules (package policies,
// envoyextensionpolicy.go).
type Extensions struct {
	// Policy names the policy, envoyextensionpolicy/NAMESPACE/NAME.
	Policy   string     `json:"policy" yaml:"policy"`
	ExtProcs []*ExtProc `json:"extProcs,omitempty" yaml:"extProcs,omitempty"`
	Wasms    []*Wasm    `json:"wasms,omitempty" yaml:"wasms,omitempty"`
}

// Body processing modes of an external processor (Envoy Gateway's names).
const (
	BodyStreamed        = "Streamed"
	BodyBuffered        = "Buffered"
	BodyBufferedPartial = "BufferedPartial"
)

// ExtProc sends requests and responses to an external gRPC processor
// (envoy.service.ext_proc.v3), which may change or answer them.
type ExtProc struct {
	// Name is POLICY/extproc/INDEX; Index is INDEX, the entry's place in
	// spec.extProc, which orders the filters of several policies.
	Name  string `json:"name" yaml:"name"`
	Index int    `json:"index" yaml:"index"`
	// Cluster is the processor's cluster, a cluster of the Gateway that
	// speaks HTTP/2; Authority the :authority of its calls.
	Cluster   string `json:"cluster" yaml:"cluster"`
	Authority string `json:"authority" yaml:"authority"`
	// MessageTimeout bounds the answer to each message; 0 is Envoy's
	// default (200ms).
	MessageTimeout Duration `json:"messageTimeout,omitempty" yaml:"messageTimeout,omitempty"`
	// FailOpen lets requests through when the processor cannot answer.
	FailOpen bool `json:"failOpen,omitempty" yaml:"failOpen,omitempty"`
	// RequestHeaders and ResponseHeaders send the headers; RequestBody
	// and ResponseBody, when set, the body too, in that mode (Body*).
	RequestHeaders  bool   `json:"requestHeaders,omitempty" yaml:"requestHeaders,omitempty"`
	ResponseHeaders bool   `json:"responseHeaders,omitempty" yaml:"responseHeaders,omitempty"`
	RequestBody     string `json:"requestBody,omitempty" yaml:"requestBody,omitempty"`
	ResponseBody    string `json:"responseBody,omitempty" yaml:"responseBody,omitempty"`
	// RequestAttributes and ResponseAttributes are the Envoy attributes
	// sent with the headers.
	RequestAttributes  []string `json:"requestAttributes,omitempty" yaml:"requestAttributes,omitempty"`
	ResponseAttributes []string `json:"responseAttributes,omitempty" yaml:"responseAttributes,omitempty"`
	// AllowModeOverride lets the processor change the processing mode.
	AllowModeOverride bool `json:"allowModeOverride,omitempty" yaml:"allowModeOverride,omitempty"`
	// ForwardMetadata are the dynamic metadata namespaces sent to the
	// processor, ReceiveMetadata those it may write.
	ForwardMetadata []string `json:"forwardMetadata,omitempty" yaml:"forwardMetadata,omitempty"`
	ReceiveMetadata []string `json:"receiveMetadata,omitempty" yaml:"receiveMetadata,omitempty"`
}

// Wasm runs a Wasm module (proxy-wasm) from the repository, whose bytes
// are served inline to Envoy.
type Wasm struct {
	// Name is POLICY/wasm/INDEX; Index is INDEX, as ExtProc's.
	Name  string `json:"name" yaml:"name"`
	Index int    `json:"index" yaml:"index"`
	// PluginName is the name the module sees (spec name, else Name);
	// RootID the root context it runs in.
	PluginName string `json:"pluginName" yaml:"pluginName"`
	RootID     string `json:"rootID,omitempty" yaml:"rootID,omitempty"`
	// Config is the plugin configuration, JSON.
	Config string `json:"config,omitempty" yaml:"config,omitempty"`
	// FailOpen lets requests through when the module fails.
	FailOpen bool `json:"failOpen,omitempty" yaml:"failOpen,omitempty"`
	// HostKeys are the environment variables of Envoy the module sees.
	HostKeys []string `json:"hostKeys,omitempty" yaml:"hostKeys,omitempty"`
	// File is the module's path in the repository; Code its bytes, whose
	// SHA-256 is SHA256 (hex).
	File   string `json:"file" yaml:"file"`
	Code   []byte `json:"code" yaml:"code"`
	SHA256 string `json:"sha256" yaml:"sha256"`
}

// WasmMagic starts every Wasm binary module.
const WasmMagic = "\x00asm"

func (e *Extensions) validate(clusters map[string]bool) error {
	if e == nil {
		return nil
	}
	var errs []error
	for _, p := range e.ExtProcs {
		if err := p.validate(clusters); err != nil {
			errs = append(errs, fmt.Errorf("extProc %s: %w", p.Name, err))
		}
	}
	for _, w := range e.Wasms {
		if err := w.validate(); err != nil {
			errs = append(errs, fmt.Errorf("wasm %s: %w", w.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (p *ExtProc) validate(clusters map[string]bool) error {
	body := func(m string) bool {
		return m == "" || m == BodyStreamed || m == BodyBuffered || m == BodyBufferedPartial
	}
	switch {
	case !clusters[p.Cluster]:
		return fmt.Errorf("cluster %q does not exist", p.Cluster)
	case !body(p.RequestBody) || !body(p.ResponseBody):
		return fmt.Errorf("body modes %q, %q: not one of %s, %s, %s", p.RequestBody, p.ResponseBody, BodyStreamed, BodyBuffered, BodyBufferedPartial)
	case p.MessageTimeout < 0:
		return errors.New("messageTimeout is negative")
	case !strings.HasSuffix(p.Name, fmt.Sprintf("/extproc/%d", p.Index)):
		return fmt.Errorf("name does not end in /extproc/%d", p.Index)
	}
	return nil
}

func (w *Wasm) validate() error {
	sum := sha256.Sum256(w.Code)
	switch {
	case !strings.HasPrefix(string(w.Code), WasmMagic):
		return errors.New("code is not a Wasm binary module")
	case hex.EncodeToString(sum[:]) != w.SHA256:
		return fmt.Errorf("code has SHA-256 %x, not %s", sum, w.SHA256)
	case !strings.HasSuffix(w.Name, fmt.Sprintf("/wasm/%d", w.Index)):
		return fmt.Errorf("name does not end in /wasm/%d", w.Index)
	case w.PluginName == "":
		return errors.New("pluginName is empty")
	}
	return nil
}
