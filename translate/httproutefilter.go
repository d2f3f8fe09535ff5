package translate

import (
	"fmt"
	"sort"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// Envoy Gateway's HTTPRouteFilter (gateway.envoyproxy.io/v1alpha1), which
// an HTTPRoute rule names through an ExtensionRef filter in its own
// namespace. directResponse answers without forwarding; urlRewrite
// rewrites the path by regex and the Host from a header, the endpoint's
// DNS name or the path. A filter that cannot be found or used is never
// skipped: the rule answers 500 and ResolvedRefs is False with reason
// UnsupportedValue, as Envoy Gateway reports a filter it cannot translate.

// responseBodyKey is the ConfigMap key Envoy Gateway reads a body from.
const responseBodyKey = "response.body"

// extensionFilter applies the HTTPRouteFilter an ExtensionRef filter
// (field names it) of a rule of a route in routeNS refers to.
func (t *translator) extensionFilter(routeKind, routeNS, field string, ref *gwapiv1.LocalObjectReference, rf *ruleFilters, probs *refProblems) {
	if string(ref.Group) != groupEG || ref.Kind != egv1a1.KindHTTPRouteFilter {
		probs.add(extensionRefProblem(field, ref, "the rule answers 500"))
		rf.unresolved = true
		return
	}
	fail := func(msg string) {
		probs.add(status.ReasonUnsupportedValue, fmt.Sprintf("field %s: %s; the rule answers 500", field, msg))
		rf.unresolved = true
	}
	name := fmt.Sprintf("HTTPRouteFilter %s/%s", routeNS, ref.Name)
	hrf := findObject(t.res.HTTPRouteFilters, routeNS, string(ref.Name))
	if hrf == nil {
		fail(name + " does not exist")
		return
	}
	var msgs []string
	spec := hrf.Spec
	if len(spec.Matches) > 0 {
		msgs = append(msgs, "field spec.matches: cookie matches are not supported yet")
	}
	if spec.CredentialInjection != nil {
		msgs = append(msgs, "field spec.credentialInjection: not supported yet")
	}
	if spec.URLRewrite != nil {
		rw, errs := extRewrite(spec.URLRewrite, t.opts.RegexProgramSize)
		msgs = append(msgs, errs...)
		if rf.extRewrite != nil {
			msgs = append(msgs, fmt.Sprintf("field spec.urlRewrite: %s rewrites the URL already; a rule may have one HTTPRouteFilter urlRewrite", rf.extRewriteFrom))
		}
		rf.extRewrite, rf.extRewriteFrom = rw, fmt.Sprintf("%s (%s)", name, field)
	}
	if spec.DirectResponse != nil {
		status, dr, errs := t.directResponse(routeKind, routeNS, spec.DirectResponse)
		msgs = append(msgs, errs...)
		if rf.directStatus != 0 {
			msgs = append(msgs, "field spec.directResponse: the rule has a direct response already")
		}
		rf.directStatus, rf.direct, rf.directFrom = status, dr, field
	}
	for _, m := range msgs {
		fail(name + ": " + m)
	}
}

// finishExtensions merges the URL rewrites of the rule's Gateway API and
// Envoy Gateway filters, which may not both rewrite the path or the host,
// and rejects mirrors next to a direct response, as Envoy Gateway does.
func (rf *ruleFilters) finishExtensions(probs *refProblems) {
	if rf.directStatus != 0 && len(rf.mirrors) > 0 {
		probs.add(status.ReasonUnsupportedValue, "field "+rf.directFrom+": a RequestMirror filter cannot be used when the rule also has a direct response; the rule answers 500")
		rf.unresolved = true
	}
	ext, core := rf.extRewrite, rf.rewrite
	switch {
	case ext == nil:
		return
	case core == nil:
		rf.rewrite = ext
		return
	}
	clash := func(part, what string) {
		probs.add(status.ReasonUnsupportedValue, fmt.Sprintf("field %s.%s: spec.urlRewrite.%s of %s rewrites the %s too; a rule may rewrite it once; the rule answers 500", rf.rewriteField, part, part, rf.extRewriteFrom, what))
		rf.unresolved = true
	}
	if core.Path != nil && ext.PathRegex != nil {
		clash("path", "path")
	}
	if core.Hostname != "" && (ext.HostHeader != "" || ext.AutoHost || ext.HostPathRegex != nil) {
		clash("hostname", "host")
	}
	if rf.unresolved {
		return
	}
	merged := *ext
	merged.Hostname, merged.Path = core.Hostname, core.Path
	rf.rewrite = &merged
}

// extRewrite checks an HTTPRouteFilter's urlRewrite as its CRD and Envoy
// Gateway do, and translates it.
func extRewrite(u *egv1a1.HTTPURLRewriteFilter, maxRegex int) (*ir.URLRewrite, []string) {
	rw := &ir.URLRewrite{}
	var msgs []string
	if p := u.Path; p != nil {
		switch {
		case p.Type != egv1a1.RegexHTTPPathModifier:
			msgs = append(msgs, fmt.Sprintf("field spec.urlRewrite.path.type: %q is not ReplaceRegexMatch", p.Type))
		case p.ReplaceRegexMatch == nil:
			msgs = append(msgs, "field spec.urlRewrite.path.replaceRegexMatch: must be set for type ReplaceRegexMatch")
		default:
			rr, err := regexReplace("spec.urlRewrite.path.replaceRegexMatch", p.ReplaceRegexMatch.Pattern, p.ReplaceRegexMatch.Substitution, false, maxRegex)
			rw.PathRegex = rr
			msgs = append(msgs, err...)
		}
	}
	if h := u.Hostname; h != nil {
		const f = "spec.urlRewrite.hostname"
		if h.Header != nil && h.Type != egv1a1.HeaderHTTPHostnameModifier {
			msgs = append(msgs, "field "+f+".header: must be nil if the type is not Header")
		}
		if h.PathRegex != nil && h.Type != egv1a1.PathRegexHTTPHostnameModifier {
			msgs = append(msgs, "field "+f+".pathRegex: must be nil if the type is not PathRegex")
		}
		switch h.Type {
		case egv1a1.HeaderHTTPHostnameModifier:
			switch {
			case h.Header == nil:
				msgs = append(msgs, "field "+f+".header: must be specified for type Header")
			case !headerName.MatchString(*h.Header):
				msgs = append(msgs, fmt.Sprintf("field %s.header: %q is not a valid header name", f, *h.Header))
			default:
				rw.HostHeader = *h.Header
			}
		case egv1a1.BackendHTTPHostnameModifier:
			rw.AutoHost = true
		case egv1a1.PathRegexHTTPHostnameModifier:
			if h.PathRegex == nil {
				msgs = append(msgs, "field "+f+".pathRegex: must be specified for type PathRegex")
				break
			}
			rr, err := regexReplace(f+".pathRegex", h.PathRegex.Pattern, h.PathRegex.Substitution, true, maxRegex)
			rw.HostPathRegex = rr
			msgs = append(msgs, err...)
		default:
			msgs = append(msgs, fmt.Sprintf("field %s.type: %q is not one of Header, Backend, PathRegex", f, h.Type))
		}
		// Envoy Gateway keeps the original Host in X-Forwarded-Host
		// unless told not to.
		rw.AppendXForwardedHost = u.AppendXForwardedHost == nil || *u.AppendXForwardedHost
	}
	return rw, msgs
}

// regexReplace checks a pattern (RE2, which Go's regexp parses alike,
// within Envoy's program size maxRegex) and a substitution; a host needs
// a substitution that is a header value.
func regexReplace(field, pattern, subst string, host bool, maxRegex int) (*ir.RegexReplace, []string) {
	var msgs []string
	if pattern == "" {
		msgs = append(msgs, fmt.Sprintf("field %s.pattern: %q is not a valid RE2 regular expression", field, pattern))
	} else if err := fields.Regex(pattern, maxRegex); err != nil {
		msgs = append(msgs, fmt.Sprintf("field %s.pattern: %v", field, err))
	}
	if host && (subst == "" || strings.ContainsAny(subst, "\r\n\x00")) {
		msgs = append(msgs, fmt.Sprintf("field %s.substitution: %q is empty or holds CR, LF or NUL", field, subst))
	}
	return &ir.RegexReplace{Pattern: pattern, Substitution: subst}, msgs
}

// directResponse checks and translates an HTTPRouteFilter's
// directResponse: status 200 by default, a body inline or from a ConfigMap
// of the filter's namespace, a content type and headers.
func (t *translator) directResponse(routeKind, ns string, d *egv1a1.HTTPDirectResponseFilter) (uint32, *ir.DirectResponse, []string) {
	var msgs []string
	status := 200
	if d.StatusCode != nil {
		status = *d.StatusCode
	}
	switch {
	case status < 200 || status > 599:
		msgs = append(msgs, fmt.Sprintf("field spec.directResponse.statusCode: %d is not within 200-599", status))
	case routeKind == "GRPCRoute" && status < 300:
		msgs = append(msgs, fmt.Sprintf("field spec.directResponse.statusCode: %d from a GRPCRoute: a direct response cannot carry a gRPC message, so only a non-2xx status is supported", status))
	}
	dr := &ir.DirectResponse{}
	if d.ContentType != nil {
		if strings.ContainsAny(*d.ContentType, "\r\n\x00") {
			msgs = append(msgs, "field spec.directResponse.contentType: holds CR, LF or NUL")
		}
		dr.ContentType = *d.ContentType
	}
	if h := d.Header; h != nil {
		if len(h.Remove) > 0 {
			msgs = append(msgs, "field spec.directResponse.header.remove: is not supported for DirectResponse")
		}
		for _, err := range validateHeaderFilter("spec.directResponse.header", h) {
			msgs = append(msgs, err.Error())
		}
		if len(h.Set)+len(h.Add) > 0 {
			dr.Headers = headerModifier(&gwapiv1.HTTPHeaderFilter{Set: h.Set, Add: h.Add})
		}
	}
	body, msg := t.responseBody(ns, "spec.directResponse.body", d.Body)
	if msg != "" {
		msgs = append(msgs, msg)
	}
	dr.Body = body
	if *dr == (ir.DirectResponse{}) {
		dr = nil
	}
	return uint32(status), dr, msgs
}

// responseBody reads a body: inline (the default type) or from a
// ConfigMap, its key response.body, else its first key in name order
// (Envoy Gateway takes any first key; sluice must be deterministic).
func (t *translator) responseBody(ns, field string, b *egv1a1.CustomResponseBody) (string, string) {
	if b == nil {
		return "", ""
	}
	if b.Type == nil || *b.Type == egv1a1.ResponseValueTypeInline {
		if b.Inline == nil {
			return "", "field " + field + ".inline: must be set for type Inline"
		}
		return *b.Inline, ""
	}
	ref := b.ValueRef
	switch {
	case *b.Type != egv1a1.ResponseValueTypeValueRef:
		return "", fmt.Sprintf("field %s.type: %q is not one of Inline, ValueRef", field, *b.Type)
	case ref == nil:
		return "", "field " + field + ".valueRef: must be set for type ValueRef"
	case ref.Group != "" || ref.Kind != "ConfigMap":
		return "", fmt.Sprintf("field %s.valueRef: kind %s of group %q is not a ConfigMap", field, ref.Kind, ref.Group)
	}
	cm := findObject(t.res.ConfigMaps, ns, string(ref.Name))
	if cm == nil {
		return "", fmt.Sprintf("field %s.valueRef: ConfigMap %s/%s does not exist", field, ns, ref.Name)
	}
	if v, ok := cm.Data[responseBodyKey]; ok {
		return v, ""
	}
	if k := firstKey(cm.Data); k != "" {
		return cm.Data[k], ""
	}
	if k := firstKey(cm.BinaryData); k != "" {
		return string(cm.BinaryData[k]), ""
	}
	return "", fmt.Sprintf("field %s.valueRef: ConfigMap %s/%s has no key %s and no other", field, ns, ref.Name, responseBodyKey)
}

func firstKey[V any](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

// findObject finds an object by namespace and name in a list that
// Resources keeps sorted that way.
func findObject[P metav1.Object](list []P, ns, name string) P {
	i := sort.Search(len(list), func(i int) bool {
		o := list[i]
		return o.GetNamespace() > ns || o.GetNamespace() == ns && o.GetName() >= name
	})
	if i < len(list) && list[i].GetNamespace() == ns && list[i].GetName() == name {
		return list[i]
	}
	var none P
	return none
}
