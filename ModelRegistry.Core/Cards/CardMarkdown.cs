using System.Diagnostics.CodeAnalysis;
using Markdig;
using Markdig.Syntax;

namespace ModelRegistry.Core.Cards;

/// <summary>
/// Markdig's parse of a card, guarded. Markdig's work grows faster than the text on a few shapes: block quotes and
/// lists nested thousands deep (it builds the whole tree before its own depth limit throws), links and titles left
/// open in a long paragraph (each one re-reads the rest of it), long runs of reference definitions and of setext
/// headings. A card of a few hundred kilobytes in those shapes costs minutes of CPU. <see cref="Check"/> finds them
/// in one pass over the text, before Markdig starts; <see cref="TryParse"/> also turns Markdig's own depth limit
/// (emphasis or brackets piled up) into an answer instead of an exception. A card that fails is refused on save
/// (400) and, if an older one is stored, shown as plain text.
/// </summary>
public static class CardMarkdown
{
    /// <summary>Block quotes and list items nested deeper than this are refused; real cards nest a handful.</summary>
    public const int MaxNesting = 32;

    /// <summary>
    /// Characters Markdig would re-read for links left open (destination, whitespace and title of each <c>](</c>).
    /// Closed links cost their own length; at about 10⁸ re-read characters a second this stays well under a second.
    /// </summary>
    public const long MaxLinkScan = 30_000_000;

    /// <summary>Reference definitions opening a paragraph × that paragraph's lines (Markdig shifts the rest for each).</summary>
    public const long MaxReferenceWork = 200_000_000;

    /// <summary>Setext heading underlines × lines (Markdig removes each underlined paragraph from a list of blocks).</summary>
    public const long MaxSetextWork = 500_000_000;

    /// <summary>
    /// Why <paramref name="markdown"/> is too costly to render, or null when it is fine. Linear in the text's length:
    /// lines inside a top-level fenced code block are not read (Markdig treats them as text too).
    /// </summary>
    public static string? Check(string markdown)
    {
        var text = markdown ?? "";
        var links = new LinkScan(text);
        long linkWork = 0, referenceWork = 0;
        int lineCount = 0, setextLines = 0, runLines = 0, runReferences = 0;
        var previousBlank = true;
        var fence = '\0';
        var fenceLength = 0;
        for (int start = 0, number = 1; start < text.Length || (start == text.Length && number == 1); number++)
        {
            var end = text.IndexOf('\n', start);
            if (end < 0)
            {
                end = text.Length;
            }

            lineCount++;
            var line = new Line(text, start, end);
            if (fence != '\0')
            {
                if (line.ClosesFence(fence, fenceLength))
                {
                    fence = '\0';
                }
            }
            else if (line.OpensTopLevelFence(out fence, out fenceLength))
            {
                EndRun();
                previousBlank = true;
            }
            else
            {
                var (depth, content) = line.Prefix();
                if (depth > MaxNesting && !line.IsThematicBreak())
                {
                    return $"Line {number} nests block quotes or lists {depth} levels deep; a card may nest at most {MaxNesting}.";
                }

                var blank = content >= end || text.AsSpan(content, end - content).IsWhiteSpace();
                // A lone "-" under a paragraph underlines it (it is no empty list item), so look before the prefix too.
                if (!previousBlank && (line.IsSetextUnderline(line.FirstNonSpace()) || (!blank && line.IsSetextUnderline(content))))
                {
                    setextLines++;
                }

                if (blank)
                {
                    EndRun();
                }
                else
                {
                    runLines++;
                    if (text[content] == '[')
                    {
                        runReferences++;
                    }

                    linkWork += links.Cost(content, end);
                    if (linkWork > MaxLinkScan)
                    {
                        return $"Near line {number} the card leaves so many links open ('](' without its ')') in one paragraph " +
                            "that rendering it would take too long. Close the links, or separate the paragraph's parts with blank lines.";
                    }
                }

                previousBlank = blank;
            }

            start = end + 1;
        }

        EndRun();
        var setextWork = (long)setextLines * lineCount;
        if (referenceWork > MaxReferenceWork)
        {
            return "The card has a paragraph of thousands of link reference definitions ([label]: url lines); " +
                "separate them with blank lines or use fewer.";
        }

        return setextWork > MaxSetextWork
            ? $"The card underlines {setextLines:N0} headings with === or --- lines; write headings with # instead."
            : null;

        void EndRun()
        {
            referenceWork += (long)runReferences * runLines;
            runLines = runReferences = 0;
        }
    }

    /// <summary>Parses <paramref name="markdown"/> with the card pipeline unless <see cref="Check"/> refuses it or Markdig gives up.</summary>
    public static bool TryParse(string markdown, [NotNullWhen(true)] out MarkdownDocument? document, [NotNullWhen(false)] out string? problem)
    {
        document = null;
        problem = Check(markdown);
        if (problem is not null)
        {
            return false;
        }

        try
        {
            document = Markdown.Parse(markdown ?? "", CardRenderer.Pipeline);
            return true;
        }
        catch (ArgumentException)
        {
            // Markdig's depth limit (MarkdownPipeline.MaximumNestingDepth): emphasis or brackets piled up in a paragraph.
            problem = DepthProblem;
            return false;
        }
    }

    /// <summary>What is wrong when Markdig's own nesting limit stops it.</summary>
    internal const string DepthProblem =
        "The card piles up emphasis marks or brackets (*, _, ~, [) so deeply that it cannot be rendered; close or escape them.";

    /// <summary>One line of the card, from <c>Start</c> up to (not including) its line break.</summary>
    private readonly record struct Line(string Text, int Start, int End)
    {
        /// <summary>
        /// How deeply the line nests (its <c>&gt;</c> and list markers, plus the indentation before the last marker,
        /// two columns a level: a nested list item sits at least two columns right of its parent) and where its
        /// content starts.
        /// </summary>
        public (int Depth, int Content) Prefix()
        {
            int i = Start, column = 0, markers = 0, indentBeforeLastMarker = 0, indent = 0;
            while (i < End)
            {
                var c = Text[i];
                if (c == ' ')
                {
                    column++;
                    indent++;
                    i++;
                }
                else if (c == '\t')
                {
                    var next = ((column / 4) + 1) * 4;
                    indent += next - column;
                    column = next;
                    i++;
                }
                else if (c == '>' || (c is '-' or '+' or '*' && EndsMarker(i + 1)))
                {
                    markers++;
                    indentBeforeLastMarker = indent;
                    column++;
                    i++;
                }
                else if (char.IsAsciiDigit(c) && OrderedMarkerLength(i) is > 0 and var length)
                {
                    markers++;
                    indentBeforeLastMarker = indent;
                    column += length;
                    i += length;
                }
                else
                {
                    break;
                }
            }

            return (markers + (indentBeforeLastMarker / 2), i);
        }

        /// <summary>A fence (three or more backticks or tildes) at the very start of a line opens a fence outside every container.</summary>
        public bool OpensTopLevelFence(out char fence, out int length)
        {
            fence = Start < End && Text[Start] is '`' or '~' ? Text[Start] : '\0';
            length = fence == '\0' ? 0 : Run(Start, fence);
            if (length < 3 || (fence == '`' && Text.AsSpan(Start + length, End - Start - length).Contains('`')))
            {
                fence = '\0';
                return false;
            }

            return true;
        }

        /// <summary>Up to three spaces, at least as many fence characters as opened it, then only whitespace.</summary>
        public bool ClosesFence(char fence, int length)
        {
            var i = Start;
            while (i < End && i - Start < 3 && Text[i] == ' ')
            {
                i++;
            }

            var run = Run(i, fence);
            return run >= length && Text.AsSpan(i + run, End - i - run).IsWhiteSpace();
        }

        /// <summary>Where the line's text starts after its leading spaces.</summary>
        public int FirstNonSpace()
        {
            var i = Start;
            while (i < End && Text[i] is ' ' or '\t')
            {
                i++;
            }

            return i;
        }

        /// <summary>Three or more of one of <c>-</c>, <c>*</c>, <c>_</c> and nothing but spaces: a rule, however many marks.</summary>
        public bool IsThematicBreak()
        {
            var i = FirstNonSpace();
            if (i >= End || Text[i] is not ('-' or '*' or '_'))
            {
                return false;
            }

            var mark = Text[i];
            var count = 0;
            for (; i < End; i++)
            {
                if (Text[i] == mark)
                {
                    count++;
                }
                else if (Text[i] is not (' ' or '\t'))
                {
                    return false;
                }
            }

            return count >= 3;
        }

        /// <summary>Only <c>=</c> or only <c>-</c>, then whitespace: underlines the paragraph above as a heading.</summary>
        public bool IsSetextUnderline(int content)
        {
            if (content >= End)
            {
                return false;
            }

            var c = Text[content];
            if (c is not ('=' or '-'))
            {
                return false;
            }

            var run = Run(content, c);
            return Text.AsSpan(content + run, End - content - run).IsWhiteSpace();
        }

        private int Run(int from, char c)
        {
            var i = from;
            while (i < End && Text[i] == c)
            {
                i++;
            }

            return i - from;
        }

        private bool EndsMarker(int i) => i >= End || Text[i] is ' ' or '\t';

        private int OrderedMarkerLength(int from)
        {
            var i = from;
            while (i < End && i - from < 9 && char.IsAsciiDigit(Text[i]))
            {
                i++;
            }

            return i < End && Text[i] is '.' or ')' && EndsMarker(i + 1) ? i + 1 - from : 0;
        }
    }

    /// <summary>
    /// What Markdig re-reads for each <c>](</c>: the destination up to the next whitespace (or <c>&gt;</c> for
    /// <c>&lt;…&gt;</c>), the whitespace after it, and a title in quotes or parentheses up to its closing mark or the
    /// next blank line. Each "next" is found by a cursor that only moves forward, so the whole card costs one pass.
    /// </summary>
    private sealed class LinkScan(string text)
    {
        private readonly Cursor _whitespace = new(text, static (t, i) => char.IsWhiteSpace(t[i]));
        private readonly Cursor _notWhitespace = new(text, static (t, i) => !char.IsWhiteSpace(t[i]));
        private readonly Cursor _angleClose = new(text, static (t, i) => t[i] is '>' or '\n');
        private readonly Cursor _blankLine = new(text, BlankLineAt);
        private readonly Cursor _doubleQuote = new(text, static (t, i) => t[i] == '"' && !Escaped(t, i));
        private readonly Cursor _singleQuote = new(text, static (t, i) => t[i] == '\'' && !Escaped(t, i));
        private readonly Cursor _parenthesis = new(text, static (t, i) => t[i] == ')' && !Escaped(t, i));

        public long Cost(int from, int end)
        {
            long cost = 0;
            var at = from;
            while ((at = text.IndexOf("](", at, end - at, StringComparison.Ordinal)) >= 0)
            {
                var destination = at + 2;
                var destinationEnd = destination < text.Length && text[destination] == '<'
                    ? _angleClose.Next(destination + 1)
                    : _whitespace.Next(destination);
                var titleStart = _notWhitespace.Next(destinationEnd);
                cost += titleStart - at;
                if (titleStart < text.Length && text[titleStart] is '"' or '\'' or '(')
                {
                    var closer = text[titleStart] switch
                    {
                        '"' => _doubleQuote,
                        '\'' => _singleQuote,
                        _ => _parenthesis,
                    };
                    cost += Math.Min(closer.Next(titleStart + 1), _blankLine.Next(titleStart + 1)) - titleStart;
                }

                at = destination;
                if (at >= end)
                {
                    break;
                }
            }

            return cost;
        }

        private static bool Escaped(string t, int i) => i > 0 && t[i - 1] == '\\';

        private static bool BlankLineAt(string t, int i)
        {
            if (t[i] != '\n')
            {
                return false;
            }

            var j = i + 1;
            while (j < t.Length && t[j] is ' ' or '\t' or '>')
            {
                j++;
            }

            return j >= t.Length || t[j] == '\n';
        }
    }

    /// <summary>
    /// The first index at or after a position where a predicate holds (or the text's length). Asked with positions
    /// that never decrease, it reads each character at most once over all questions; asked with a smaller position
    /// than before, it may answer one further on, which only overestimates the work.
    /// </summary>
    private sealed class Cursor(string text, Func<string, int, bool> matches)
    {
        private int _found = -1;

        public int Next(int from)
        {
            if (_found >= from)
            {
                return _found;
            }

            var i = Math.Max(from, 0);
            while (i < text.Length && !matches(text, i))
            {
                i++;
            }

            _found = i;
            return i;
        }
    }
}
