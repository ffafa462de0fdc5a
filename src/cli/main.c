/* cli/main.c - the cairn command (placeholder until the command table lands). */
#include <stdio.h>

int main(void)
{
    puts("cairn");
    return 0;
}
