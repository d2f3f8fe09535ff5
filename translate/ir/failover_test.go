package ir

import (
	"strings"
	"testing"
)

func TestValidateGroups(t *testing.T) {
	ep := func(host string) []*Endpoint { return []*Endpoint{{Host: host, Port: 80}} }
	cases := []struct {
		name string
		c    Cluster
		want string
	}{
		{"plain", Cluster{Endpoints: ep("10.0.0.1")}, ""},
		{"failover", Cluster{Groups: []*EndpointGroup{
			{Name: "a", Weight: 1, Endpoints: ep("10.0.0.1")},
			{Name: "b", Priority: 1, Weight: 1, Endpoints: ep("10.0.0.2")},
		}}, ""},
		{"both", Cluster{Endpoints: ep("10.0.0.1"), Groups: []*EndpointGroup{{Name: "a", Weight: 1}}}, "either endpoints or groups"},
		{"no weight", Cluster{Groups: []*EndpointGroup{{Name: "a"}}}, "no weight"},
		{"skipped priority", Cluster{Groups: []*EndpointGroup{{Name: "b", Priority: 1, Weight: 1}}}, "priority 0 has no group"},
		{"unix in dns", Cluster{DNS: true, Groups: []*EndpointGroup{
			{Name: "a", Weight: 1, Endpoints: ep("example.com")},
			{Name: "b", Priority: 1, Weight: 1, Endpoints: []*Endpoint{{Unix: "/run/b.sock"}}},
		}}, "Unix sockets"},
	}
	for _, tc := range cases {
		err := tc.c.validateGroups()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}
