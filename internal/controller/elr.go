package controller

import (
	"slices"
	"strconv"
	"strings"

	"github.com/strom-project/strom/internal/metadata"
)

// Eligible leader replicas (KIP-966): the ELR bookkeeping that every
// partition change goes through, unclean restarts and min ISR changes.
// The rules are described at the top of election.go.

// topicRules are the configs of a partition's topic that the rules read.
type topicRules struct {
	unclean bool // unclean.leader.election.enable
	minISR  int  // min.insync.replicas as configured (≥ 1)
}

// minISRFor is the effective min ISR of a partition with replicas
// replicas: min.insync.replicas capped by the replica count, as the
// partition leader computes it (replica.Partition.effectiveMinISR). The
// two must agree: an ELR member is safe only because the leader did not
// advance the high watermark while the ISR was below this bound.
func (r topicRules) minISRFor(replicas int) int { return max(min(r.minISR, replicas), 1) }

// rulesOf returns a function resolving (and caching, per topic) the rules
// of topics in im.
func (c *Controller) rulesOf(im *metadata.Image) func(t *metadata.Topic) topicRules {
	cache := map[string]topicRules{}
	return func(t *metadata.Topic) topicRules {
		if r, ok := cache[t.Name]; ok {
			return r
		}
		r := c.topicRules(im, t.Name)
		cache[t.Name] = r
		return r
	}
}

func (c *Controller) topicRules(im *metadata.Image, topic string) topicRules {
	r := topicRules{
		unclean: strings.EqualFold(strings.TrimSpace(c.opts.TopicConfig(im, topic, uncleanConfig)), "true"),
		minISR:  1,
	}
	if n, err := strconv.Atoi(strings.TrimSpace(c.opts.TopicConfig(im, topic, minISRConfig))); err == nil && n > 1 {
		r.minISR = n
	}
	return r
}

// targetELR is p's ELR once its ISR is isr and its replicas replicas:
// empty when isr has at least minISR members, else the old ELR and ISR
// members that are not in isr, minus gone (a broker restarting uncleanly),
// in ascending order (as Kafka lists them).
func targetELR(p *metadata.Partition, isr, replicas []int32, minISR int, gone int32) []int32 {
	if len(isr) >= minISR {
		return nil
	}
	var elr []int32
	for _, r := range replicas {
		if r != gone && !slices.Contains(isr, r) && (slices.Contains(p.ELR, r) || slices.Contains(p.ISR, r)) {
			elr = append(elr, r)
		}
	}
	slices.Sort(elr)
	return elr
}

// withELR completes rec, a change of p's leader, ISR or replicas, with
// the ELR and LastKnownELR that go with it (Kafka's maybeUpdateRecordElr
// and maybeUpdateLastKnownLeader), and returns nil if rec then changes
// nothing. uncleanElected: rec is an unclean election, which clears the
// ELR (its members no longer know the committed records).
func withELR(p *metadata.Partition, rec *metadata.PartitionChangeRecord, r topicRules, gone int32, uncleanElected bool) *metadata.PartitionChangeRecord {
	next := p.WithChange(rec)
	var elr []int32
	if !uncleanElected {
		elr = targetELR(p, next.ISR, next.Replicas, r.minISRFor(len(next.Replicas)), gone)
	}
	if !slices.Equal(elr, p.ELR) {
		rec.ELR = append([]int32{}, elr...)
	}
	switch {
	case rec.ISR != nil && len(rec.ISR) == 0 && p.Leader >= 0 && !slices.Equal(p.LastKnownELR, []int32{p.Leader}):
		// The partition just lost its last in-sync replica: remember who
		// led it, the candidate of last resort.
		rec.LastKnownELR = []int32{p.Leader}
	case len(p.LastKnownELR) > 0 && (rec.Leader >= 0 || rec.Leader == metadata.NoLeaderChange && p.Leader >= 0):
		rec.LastKnownELR = []int32{} // it has (or keeps) a leader
	}
	if isNoop(rec) {
		return nil
	}
	return rec
}

func isNoop(rec *metadata.PartitionChangeRecord) bool {
	return rec.Leader == metadata.NoLeaderChange && rec.ISR == nil && rec.Replicas == nil &&
		rec.AddingReplicas == nil && rec.RemovingReplicas == nil && rec.ELR == nil && rec.LastKnownELR == nil
}

// withTopicELR is withELR for a change the caller built without an
// election of its own (AlterPartition, reassignments).
func (c *Controller) withTopicELR(im *metadata.Image, topic string, p *metadata.Partition, rec *metadata.PartitionChangeRecord) *metadata.PartitionChangeRecord {
	return withELR(p, rec, c.topicRules(im, topic), -1, false)
}

// uncleanRestartRecords are the changes for broker b registering a new
// incarnation after an unclean shutdown (KIP-966: its PreviousBrokerEpoch
// is not its registered epoch): b may have lost records it had
// acknowledged, so it leaves every ISR and ELR (Kafka's
// handleBrokerUncleanShutdown). im must show b fenced already.
func (c *Controller) uncleanRestartRecords(im *metadata.Image, b int32) []metadata.Record {
	rules := c.rulesOf(im)
	return partitionChanges(im, func(t *metadata.Topic, p *metadata.Partition) *metadata.PartitionChangeRecord {
		if !slices.Contains(p.ISR, b) && !slices.Contains(p.ELR, b) {
			return nil
		}
		return decide(im, t.ID, p, without(p.ISR, b), rules(t), p.Leader == b || p.Leader == -1, b)
	})
}

// minISRClears returns the changes that go with a batch of records: when
// it sets or deletes min.insync.replicas of a topic, or of the brokers,
// the ELR and LastKnownELR of that topic's partitions (of every partition)
// are cleared, since they were computed against the old bound (Kafka
// writes a ClearElrRecord, even for an unchanged value). im is the image
// the batch applies to.
func minISRClears(im *metadata.Image, recs []metadata.Record) []metadata.Record {
	all, topics := false, map[string]bool{}
	for _, r := range recs {
		cr, ok := r.(*metadata.ConfigRecord)
		if !ok || cr.Name != minISRConfig {
			continue
		}
		switch cr.ResourceType {
		case metadata.TopicResource:
			topics[cr.ResourceName] = true
		case metadata.BrokerResource:
			// The cluster default, or one broker's (which Kafka refuses
			// with ELR on; the controller's own would count): all.
			all = true
		}
	}
	if !all && len(topics) == 0 {
		return nil
	}
	return partitionChanges(im, func(t *metadata.Topic, p *metadata.Partition) *metadata.PartitionChangeRecord {
		if !all && !topics[t.Name] || len(p.ELR) == 0 && len(p.LastKnownELR) == 0 {
			return nil
		}
		return &metadata.PartitionChangeRecord{TopicID: t.ID, Partition: p.Partition, Leader: metadata.NoLeaderChange,
			ELR: []int32{}, LastKnownELR: []int32{}}
	})
}

// withUncleanRestart appends to recs (which fence broker b's old
// registration) the changes for b's unclean restart.
func (c *Controller) withUncleanRestart(im *metadata.Image, recs []metadata.Record, b int32) ([]metadata.Record, error) {
	next, err := scratch(im, recs)
	if err != nil {
		return nil, err
	}
	more := c.uncleanRestartRecords(next, b)
	if len(more) > 0 {
		c.log.Info("broker restarted after an unclean shutdown: it leaves every ISR and ELR", "broker", b, "partitions", len(more))
	}
	return append(recs, more...), nil
}
