package controller

import (
	"context"
	"fmt"

	"github.com/strom-project/strom/internal/metadata"
)

// DeleteTopics deletes topics by name or id. A topic's dynamic configs go
// with it (RemoveTopicRecord implies that). Internal topics cannot be
// deleted.
func (c *Controller) DeleteTopics(ctx context.Context, topics []DeleteTopic) []DeleteTopicResult {
	results := make([]DeleteTopicResult, len(topics))
	for i, t := range topics {
		results[i] = DeleteTopicResult{Name: t.Name, ID: t.ID}
	}
	setAll := func(err error) {
		for i := range results {
			if results[i].Err == nil {
				results[i].Err = err
			}
		}
	}
	err := c.do(ctx, func() {
		im, err := c.activeImage(ctx)
		if err != nil {
			setAll(err)
			return
		}
		seen := map[metadata.Uuid]int{}
		resolved := make([]*metadata.Topic, len(topics))
		for i, t := range topics {
			resolved[i], results[i].Err = resolveTopic(im, t)
			if resolved[i] != nil {
				results[i].Name, results[i].ID = resolved[i].Name, resolved[i].ID
				seen[resolved[i].ID]++
			}
		}
		var recs []metadata.Record
		var ok []int
		for i, t := range resolved {
			switch {
			case t == nil:
			case seen[t.ID] > 1:
				results[i].Err = fmt.Errorf("%w: Duplicate topic name.", ErrInvalidRequest)
			case t.Internal:
				results[i].Err = fmt.Errorf("%w: Topic %s is an internal topic and cannot be deleted.", ErrInvalidRequest, t.Name)
			default:
				recs = append(recs, &metadata.RemoveTopicRecord{ID: t.ID})
				ok = append(ok, i)
			}
		}
		if _, err := c.propose(ctx, recs); err != nil {
			for _, i := range ok {
				results[i].Err = err
			}
		}
	})
	if err != nil {
		setAll(err)
	}
	return results
}

func resolveTopic(im *metadata.Image, t DeleteTopic) (*metadata.Topic, error) {
	if t.ID != (metadata.Uuid{}) {
		if tp := im.TopicsByID[t.ID]; tp != nil {
			return tp, nil
		}
		return nil, fmt.Errorf("%w: This server does not host this topic ID.", ErrUnknownTopic)
	}
	if tp := im.Topics[t.Name]; tp != nil {
		return tp, nil
	}
	return nil, fmt.Errorf("%w: This server does not host this topic-partition.", ErrUnknownTopic)
}
