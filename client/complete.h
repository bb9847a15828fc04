/*
 * Tab completion in the interactive shell: commands from the command
 * table, local names from the directory, remote names from a listing.
 * The shell owns the line editor; this owns what Tab does to its line.
 */
#ifndef COMPLETE_H
#define COMPLETE_H

#include <histedit.h>

/*
 * The Tab key, as a libedit function (EL_ADDFN); EL_CLIENTDATA is the
 * struct client.  Completes the word before the cursor as far as the
 * matches agree, quoted so that the line runs as shown (words.h), or
 * lists the matches in columns.  A remote listing is bounded in time and
 * ended by Ctrl-C, whose flag (sig_intr_pending) is left set for the
 * shell to act on.
 */
unsigned char complete_key(EditLine *el, int ch);

/*
 * Moves the terminal's cursor below the line being edited, writing the
 * rest of the line after the cursor and then suffix and a newline: what
 * is printed next starts on a fresh line, and CC_REDISPLAY draws the
 * prompt again beneath it.
 */
void	complete_leave_line(EditLine *el, const char *suffix);

#endif
