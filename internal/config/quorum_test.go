package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestQuorumConfig(t *testing.T) {
	b, err := New(map[string]string{
		"node.id":                  "2",
		"controller.quorum.voters": "1@127.0.0.1:19093, 2@127.0.0.1:19094,3@[::1]:19095",
		"listeners":                "PLAINTEXT://127.0.0.1:9093,CONTROLLER://127.0.0.1:19094",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Voter{{1, "127.0.0.1", 19093}, {2, "127.0.0.1", 19094}, {3, "::1", 19095}}
	if diff := cmp.Diff(want, b.Voters); diff != "" {
		t.Errorf("voters (-want +got):\n%s", diff)
	}
	if got := b.Voters[2].Addr(); got != "[::1]:19095" {
		t.Errorf("Addr = %q", got)
	}
	if diff := cmp.Diff([]int32{1, 2, 3}, b.VoterIDs()); diff != "" {
		t.Errorf("VoterIDs (-want +got):\n%s", diff)
	}
	if l := b.ControllerListener(); l == nil || l.Port != 19094 {
		t.Errorf("ControllerListener = %v", l)
	}
	if b.InterBrokerListener != "PLAINTEXT" {
		t.Errorf("InterBrokerListener = %q", b.InterBrokerListener)
	}
	if len(b.AdvertisedListeners) != 1 || b.AdvertisedListeners[0].Name != "PLAINTEXT" {
		t.Errorf("the controller listener must not be advertised to clients: %v", b.AdvertisedListeners)
	}

	single, err := New(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int32{1}, single.VoterIDs()); diff != "" || len(single.Voters) != 0 {
		t.Errorf("single node: voters %v, ids %v", single.Voters, single.VoterIDs())
	}
}

func TestQuorumRoles(t *testing.T) {
	voters := "1@127.0.0.1:19093,2@127.0.0.1:19094"
	observer, err := New(map[string]string{"process.roles": "broker", "node.id": "7", "controller.quorum.voters": voters,
		"listeners": "PLAINTEXT://127.0.0.1:9097"})
	if err != nil {
		t.Fatal(err)
	}
	if !observer.IsBroker() || observer.IsController() || observer.IsCombined() || observer.InterBrokerListener != "PLAINTEXT" {
		t.Errorf("observer: broker %v controller %v combined %v ibl %q", observer.IsBroker(), observer.IsController(), observer.IsCombined(), observer.InterBrokerListener)
	}
	ctrl, err := New(map[string]string{"process.roles": "controller", "node.id": "2", "controller.quorum.voters": voters,
		"listeners": "CONTROLLER://127.0.0.1:19094"})
	if err != nil {
		t.Fatal(err)
	}
	if ctrl.IsBroker() || !ctrl.IsController() || ctrl.ControllerListener() == nil || ctrl.InterBrokerListener != "" {
		t.Errorf("controller: broker %v controller %v listener %v ibl %q", ctrl.IsBroker(), ctrl.IsController(), ctrl.ControllerListener(), ctrl.InterBrokerListener)
	}
}

func TestQuorumConfigRejected(t *testing.T) {
	base := map[string]string{
		"controller.quorum.voters": "1@127.0.0.1:19093,2@127.0.0.1:19094",
		"listeners":                "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:19093",
	}
	for _, tc := range []struct {
		name string
		set  map[string]string
		want string
	}{
		{"not a voter", map[string]string{"node.id": "5"}, "not in controller.quorum.voters"},
		{"no controller listener", map[string]string{"listeners": "PLAINTEXT://127.0.0.1:9092"}, "controller listener"},
		{"bad entry", map[string]string{"controller.quorum.voters": "1:127.0.0.1:1"}, "want id@host:port"},
		{"bad id", map[string]string{"controller.quorum.voters": "x@127.0.0.1:1"}, "bad node id"},
		{"twice", map[string]string{"controller.quorum.voters": "1@a:1,1@b:2"}, "twice"},
		{"broker only but a voter", map[string]string{"process.roles": "broker", "listeners": "PLAINTEXT://127.0.0.1:9092"}, "must have the controller role"},
		{"broker only with controller listener", map[string]string{"process.roles": "broker", "node.id": "4"}, "must not include the controller listener"},
		{"broker only alone", map[string]string{"process.roles": "broker", "controller.quorum.voters": "", "listeners": "PLAINTEXT://127.0.0.1:9092"}, "needs controller.quorum.voters"},
		{"controller only with client listener", map[string]string{"process.roles": "controller"}, "may only contain controller listeners"},
		{"controller only not a voter", map[string]string{"process.roles": "controller", "node.id": "4", "listeners": "CONTROLLER://127.0.0.1:19095"}, "not in controller.quorum.voters"},
		{"no roles", map[string]string{"process.roles": ""}, "process.roles"},
		{"ibl is controller", map[string]string{"inter.broker.listener.name": "CONTROLLER"}, "inter.broker.listener.name"},
		{"ibl unknown", map[string]string{"inter.broker.listener.name": "INTERNAL"}, "inter.broker.listener.name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := map[string]string{}
			for k, v := range base {
				set[k] = v
			}
			for k, v := range tc.set {
				set[k] = v
			}
			_, err := New(set)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}
