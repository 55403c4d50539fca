import { memo } from 'react';
import { Box, Text } from 'ink';
import { fitSegments, type Segment } from './text.js';
import type { Theme } from './theme.js';

interface LineProps {
  segments: Segment[];
  width: number;
  theme: Theme;
  /** The selected row: inverse video with colour, the "›" marker says it without. */
  highlight?: boolean;
}

/** One terminal line, cut to `width` before Ink sees it: never wraps. */
export const Line = memo(function Line({ segments, width, theme, highlight = false }: LineProps) {
  const fitted = fitSegments(segments, width);
  return (
    <Box width={width} height={1} flexShrink={0}>
      <Text wrap="truncate-end" inverse={theme.color && highlight}>
        {fitted.map((segment, i) => (
          <Text key={i} color={theme.tone(segment.tone)} bold={theme.color && segment.bold === true}>
            {segment.text}
          </Text>
        ))}
      </Text>
    </Box>
  );
});
