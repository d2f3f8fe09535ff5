package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/translate"
)

// noActions answers every action with ErrNoActions (501).
type noActions struct{}

func (noActions) Rollback(string) (*revisions.Record, error)           { return nil, ErrNoActions }
func (noActions) Unpin() (*revisions.Record, error)                    { return nil, ErrNoActions }
func (noActions) Diff(string, string) (*revisions.RevisionDiff, error) { return nil, ErrNoActions }
func (noActions) Objects(string) ([]*translate.ObjectStatus, error)    { return nil, ErrNoActions }
func actionsOrNone(a Actions) Actions {
	if a == nil {
		return noActions{}
	}
	return a
}

// RollbackRequest is the body of POST /api/v1/rollback. Revision is a
// history number ("#3"), a commit SHA or prefix, or a ref of the branch
// resolved in the mirror ("HEAD~1").
type RollbackRequest struct {
	Revision string `json:"revision"`
}

// rollbackAPI is POST /api/v1/rollback {"revision": sha}: it answers the
// pinned record.
func rollbackAPI(acts Actions) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req RollbackRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
			return &APIError{HTTPStatus: http.StatusBadRequest, Message: `body: want {"revision": "<sha>"}: ` + err.Error()}
		}
		if !validRef(req.Revision) {
			return &APIError{HTTPStatus: http.StatusBadRequest, Message: fmt.Sprintf("revision %q: want a history number (#3), a commit SHA (7 to 40 hex digits) or a ref of the branch (HEAD~1, main~2)", req.Revision)}
		}
		rec, err := acts.Rollback(req.Revision)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, rec)
		return nil
	}
}

// validRef accepts what ResultAt resolves: a history number, a SHA or a
// revision expression of the followed branch (letters, digits and
// "#._/~^-", at most 100 characters, not starting with "-").
func validRef(ref string) bool {
	if ref == "" || len(ref) > 100 || ref[0] == '-' {
		return false
	}
	for _, c := range ref {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("#._/~^-", c)) {
			return false
		}
	}
	return true
}

// unpinAPI is DELETE /api/v1/pin: it answers the record served after.
func unpinAPI(acts Actions) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		rec, err := acts.Unpin()
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, rec)
		return nil
	}
}

// diffAPI serves GET /api/v1/diff?from=SHA&to=SHA. It reads only, so it
// needs no token.
func diffAPI(acts Actions) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		from, to := strings.TrimSpace(r.URL.Query().Get("from")), strings.TrimSpace(r.URL.Query().Get("to"))
		if from == "" || to == "" {
			return &APIError{HTTPStatus: http.StatusBadRequest, Message: "diff needs both ?from=SHA and ?to=SHA"}
		}
		d, err := acts.Diff(from, to)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, d)
		return nil
	}
}

// ErrNoActions: the admin API was given no reconciler to read revisions
// again (rollback, unpin, diff).
var ErrNoActions = errors.New("revisions cannot be read back: no source to resolve them")
