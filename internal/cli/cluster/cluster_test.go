package cluster

import "testing"

func TestProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		info clusterInfo
		want int
	}{
		{"healthy", clusterInfo{Controller: 1, Brokers: []brokerInfo{{ID: 1}}}, 0},
		{"everything wrong", clusterInfo{Controller: -1, Offline: 2, UnderReplica: 1}, 4},
		{"under-replicated only", clusterInfo{Controller: 1, Brokers: []brokerInfo{{ID: 1}}, UnderReplica: 3}, 1},
	} {
		if got := tc.info.problems(); len(got) != tc.want {
			t.Errorf("%s: problems %v, want %d", tc.name, got, tc.want)
		}
	}
}
